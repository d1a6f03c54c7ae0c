"""Parsing region codes of both systems.

Kemendagri codes are dotted (``33``, ``33.26``, ``33.26.01``, ``33.26.01.2001``). BPS codes are
bare digits of 2, 4, 7 or 10. The same digits can mean different regions in the two systems
(BPS 1101 is Simeulue, Kemendagri 11.01 is Aceh Selatan), so bare digits are read as BPS unless
the caller says ``system=kemendagri``; then they are dotted by the 2-2-2-4 pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from api.errors import InvalidParameterError

NATIONAL_CODE = "00"

# Every spelling either system uses: dotted Kemendagri, or bare digits (BPS 2/4/7/10,
# undotted Kemendagri 2/4/6/10). Published in the OpenAPI document as the parameter pattern.
CODE_PATTERN = r"^(\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?|\d{4}|\d{6,7}|\d{10})$"
CODE_RE = re.compile(CODE_PATTERN)
BPS_LENGTHS = (2, 4, 7, 10)
KEMENDAGRI_LENGTHS = (2, 4, 6, 10)


class CodeSystem(StrEnum):
    kemendagri = "kemendagri"
    bps = "bps"


@dataclass(frozen=True)
class RegionCodeRef:
    """A code with the system it belongs to, in that system's canonical spelling."""

    system: CodeSystem
    code: str


def dot_kemendagri(digits: str) -> str:
    """``3326012001`` → ``33.26.01.2001``."""
    cuts = (2, 4, 6)
    parts = [digits[a:b] for a, b in zip((0, *cuts), (*cuts, len(digits)), strict=True)]
    return ".".join(p for p in parts if p)


def parse_code(raw: str, system: CodeSystem | None = None) -> RegionCodeRef:
    """Read ``raw`` as a code of the system it belongs to.

    Only the form is checked here (422 when it is no code at all); digits of a length the
    system does not use simply match no region, and the 404 explains why.
    """
    code = raw.strip()
    if not CODE_RE.match(code):
        raise InvalidParameterError(
            f"'{raw}' is not a region code: use a Kemendagri code like 33.26 or a BPS code "
            "like 3326.",
            parameter="code",
        )
    if "." in code:
        return RegionCodeRef(CodeSystem.kemendagri, code)
    if system is CodeSystem.kemendagri:
        dotted = dot_kemendagri(code) if len(code) in KEMENDAGRI_LENGTHS else code
        return RegionCodeRef(CodeSystem.kemendagri, dotted)
    return RegionCodeRef(CodeSystem.bps, code)


def length_hint(ref: RegionCodeRef) -> str | None:
    """Why digits of this length cannot be a code of the system asked for, if they cannot."""
    if "." in ref.code:
        return None
    lengths = BPS_LENGTHS if ref.system is CodeSystem.bps else KEMENDAGRI_LENGTHS
    if len(ref.code) in lengths:
        return None
    allowed = ", ".join(str(n) for n in lengths)
    return f"{ref.system.value.upper()} codes have {allowed} digits, not {len(ref.code)}."


def ancestor_codes(code: str) -> list[str]:
    """Kemendagri codes of the ancestors, national first: 33.26.01 → [00, 33, 33.26]."""
    if code == NATIONAL_CODE:
        return []
    parts = code.split(".")
    return [NATIONAL_CODE] + [".".join(parts[:i]) for i in range(1, len(parts))]
