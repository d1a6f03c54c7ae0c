"""Pure pieces: code parsing, name folding, role scope."""

from __future__ import annotations

import pytest

from api.auth.roles import Principal, Role, region_in_scope
from api.errors import InvalidParameterError
from api.regions.codes import (
    CodeSystem,
    RegionCodeRef,
    ancestor_codes,
    dot_kemendagri,
    length_hint,
    parse_code,
)
from api.regions.names import fold, kind_hint, normalize_name


@pytest.mark.parametrize(
    ("raw", "system", "expected"),
    [
        ("33.26", None, RegionCodeRef(CodeSystem.kemendagri, "33.26")),
        ("33.26", CodeSystem.bps, RegionCodeRef(CodeSystem.kemendagri, "33.26")),
        ("3326", None, RegionCodeRef(CodeSystem.bps, "3326")),
        ("3326", CodeSystem.kemendagri, RegionCodeRef(CodeSystem.kemendagri, "33.26")),
        (
            " 3326012001 ",
            CodeSystem.kemendagri,
            RegionCodeRef(CodeSystem.kemendagri, "33.26.01.2001"),
        ),
        ("3326010", None, RegionCodeRef(CodeSystem.bps, "3326010")),
        ("3326010", CodeSystem.kemendagri, RegionCodeRef(CodeSystem.kemendagri, "3326010")),
    ],
)
def test_parse_code(raw: str, system: CodeSystem | None, expected: RegionCodeRef) -> None:
    assert parse_code(raw, system) == expected


@pytest.mark.parametrize("raw", ["", "3", "333", "33.2", "33.26.1", "33-26", "x33", "33.26."])
def test_malformed_codes_are_rejected(raw: str) -> None:
    with pytest.raises(InvalidParameterError):
        parse_code(raw)


def test_length_hints() -> None:
    assert length_hint(RegionCodeRef(CodeSystem.bps, "332601")) is not None
    assert length_hint(RegionCodeRef(CodeSystem.bps, "3326010")) is None
    assert length_hint(RegionCodeRef(CodeSystem.kemendagri, "3326010")) is not None
    assert length_hint(RegionCodeRef(CodeSystem.kemendagri, "33.26")) is None


def test_dotting_and_ancestors() -> None:
    assert dot_kemendagri("33") == "33"
    assert dot_kemendagri("332601") == "33.26.01"
    assert ancestor_codes("00") == []
    assert ancestor_codes("33") == ["00"]
    assert ancestor_codes("33.26.01.2001") == ["00", "33", "33.26", "33.26.01"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kabupaten Aceh Selatan", "aceh selatan"),
        ("KAB. ACEH SELATAN", "aceh selatan"),
        ("Kota Administrasi Jakarta Pusat", "jakarta pusat"),
        ("Kép. Seribu", "kep seribu"),
        ("Kota Baru", "baru"),
        ("Kotabaru", "kotabaru"),
    ],
)
def test_normalize_name(name: str, expected: str) -> None:
    assert normalize_name(name) == expected


def test_fold_keeps_every_word() -> None:
    assert fold("Desa  Kota-Baru!") == "desa kota baru"
    assert kind_hint("Kota Pekalongan") == "kota"
    assert kind_hint("kab pekalongan") == "kabupaten"
    assert kind_hint("pekalongan") is None


def test_region_scope() -> None:
    assert region_in_scope("33.26.01.2001", "33.26")
    assert region_in_scope("33.26", "33.26")
    assert not region_in_scope("33.2", "33.26")
    assert not region_in_scope("33.27", "33.26")
    regional = Principal(role=Role.regional, key_id="k", region_code="33")
    assert regional.can_access_region("33.26.01")
    assert not regional.can_access_region("34.01")
    assert Principal(role=Role.analyst).can_access_region("34.01")
    assert not Principal(role=Role.public).can_access_region("34.01")
