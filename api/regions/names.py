"""Name normalisation shared by region search and by matching regions across code vintages.

Users type "kab. pekalongan", "Kota Pekalongan" or "PEKALONGAN"; sources write
"KAB. ACEH SELATAN" where the 2025 list says "Kabupaten Aceh Selatan". Both needs are met by
one folding: strip accents, lower-case, drop punctuation, and drop the administrative prefix.
"""

from __future__ import annotations

import re
import unicodedata

# Longest first, so "kota administrasi" wins over "kota".
_PREFIXES: tuple[str, ...] = (
    "kabupaten administrasi",
    "kota administrasi",
    "kabupaten",
    "kecamatan",
    "kelurahan",
    "provinsi",
    "distrik",
    "kampung",
    "nagari",
    "gampong",
    "desa",
    "kota",
    "prov",
    "kab",
    "kec",
    "kel",
    "adm",
)
_PREFIX_RE = re.compile(r"^(?:" + "|".join(_PREFIXES) + r")\b\s*")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")

# Prefix words that tell a regency's kind; used to rank "Kota Pekalongan" above the kabupaten.
KIND_WORDS: dict[str, str] = {"kota": "kota", "kabupaten": "kabupaten", "kab": "kabupaten"}


def fold(text: str) -> str:
    """Lower-case ASCII with single spaces: accents removed, punctuation turned into spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_ALNUM_RE.sub(" ", ascii_only).strip()


def strip_prefix(folded: str) -> str:
    """Remove one leading administrative word ("kabupaten", "kota", "kec", ...) from a folded name.

    Only one: a village may really be called "Kota Baru".
    """
    stripped = _PREFIX_RE.sub("", folded).strip()
    return stripped or folded


def normalize_name(text: str) -> str:
    """The search key of a name: folded and without its administrative prefix."""
    return strip_prefix(fold(text))


def kind_hint(text: str) -> str | None:
    """The regency kind a query names in front ("kota ..." or "kab ..."), if any."""
    words = fold(text).split(" ", 1)
    return KIND_WORDS.get(words[0]) if words and words[0] else None
