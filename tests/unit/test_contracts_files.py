"""The contract files in ``data_contracts/``: they load and hold the rules the platform uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.ingest.contracts import (
    CONTRACTS_DIR,
    ColumnType,
    Contract,
    all_contracts,
    read_contract,
)
from api.regions.codes import CodeSystem
from api.regions.levels import Level

EXPECTED = {
    "susenas_household",
    "susenas_person",
    "sakernas_person",
    "podes_village",
    "pdrb",
    "dtks_household",
    "dtks_person",
    "poverty_line",
    "indicator_values",
    "targets",
    "apbd_line",
}

SUSENAS_CANONICAL_REQUIRED = {
    "hh_id",
    "prov_code",
    "kab_code",
    "urban",
    "strata",
    "psu",
    "weight",
    "hh_size",
    "exp_per_capita",
}

# Column names that hold names, ID numbers, addresses or birth data.
PERSONAL_NAME_RE = re.compile(r"(^|_)(name|nik|no_kk|address|birth_date|birth_place)($|_)")

# A valid example code of each system and level, and the same place spelled the other way.
EXAMPLE_CODES: dict[tuple[CodeSystem, Level | None], tuple[str, str]] = {
    (CodeSystem.bps, Level.province): ("33", "3"),
    (CodeSystem.bps, Level.regency): ("3326", "33.26"),
    (CodeSystem.bps, Level.district): ("3326010", "33.26.01"),
    (CodeSystem.bps, Level.village): ("3326010001", "33.26.01.2001"),
    (CodeSystem.kemendagri, Level.province): ("33", "3"),
    (CodeSystem.kemendagri, Level.regency): ("33.26", "3326"),
    (CodeSystem.kemendagri, Level.district): ("33.26.01", "332601"),
    (CodeSystem.kemendagri, Level.village): ("33.26.01.2001", "3326012001"),
    (CodeSystem.kemendagri, None): ("33.26", "3326"),  # any level: targets
}

FILES = sorted(CONTRACTS_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def contracts() -> dict[str, Contract]:
    return all_contracts()


def test_contract_files_exist() -> None:
    assert {p.stem for p in FILES} >= EXPECTED


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_file_loads(path: Path) -> None:
    contract = read_contract(path)
    assert contract.name == path.stem
    assert contract.version >= 1


def test_all_contracts_has_every_dataset(contracts: dict[str, Contract]) -> None:
    assert set(contracts) >= EXPECTED


def test_susenas_household_required_columns_are_canonical(
    contracts: dict[str, Contract],
) -> None:
    required = {c.name for c in contracts["susenas_household"].columns if c.required}
    assert required == SUSENAS_CANONICAL_REQUIRED


def test_susenas_household_key_columns(contracts: dict[str, Contract]) -> None:
    contract = contracts["susenas_household"]
    assert contract.primary_key == ["hh_id"]
    for positive in ("weight", "exp_per_capita"):
        lowest = contract.column(positive).min
        assert lowest is not None
        assert lowest > 0
    assert contract.column("hh_size").min == 1
    assert contract.column("urban").codes == {"1": "Perkotaan", "2": "Perdesaan"}


@pytest.mark.parametrize("name", ["dtks_household", "dtks_person"])
def test_dtks_is_personal(contracts: dict[str, Contract], name: str) -> None:
    assert contracts[name].personal


def test_identifying_columns_of_personal_contracts_are_personal(
    contracts: dict[str, Contract],
) -> None:
    unmarked = [
        f"{c.name}.{col.name}"
        for c in contracts.values()
        if c.personal
        for col in c.columns
        if PERSONAL_NAME_RE.search(col.name) and not col.personal
    ]
    assert unmarked == []
    dtks_person = contracts["dtks_person"]
    for column in ("nik", "name", "birth_date"):
        assert dtks_person.column(column).personal
    dtks_household = contracts["dtks_household"]
    for column in ("address", "head_name", "no_kk"):
        assert dtks_household.column(column).personal


def test_personal_columns_only_in_personal_contracts(contracts: dict[str, Contract]) -> None:
    for contract in contracts.values():
        if any(col.personal for col in contract.columns):
            assert contract.personal, contract.name


def test_references_point_at_keys_of_existing_datasets(
    contracts: dict[str, Contract],
) -> None:
    for contract in contracts.values():
        for ref in contract.references:
            assert ref.dataset in contracts, (contract.name, ref.dataset)
            target = contracts[ref.dataset]
            target_names = {c.name for c in target.columns}
            assert set(ref.dataset_columns) <= target_names
            assert ref.dataset_columns in [target.primary_key, *target.unique]
            for own, theirs in zip(ref.columns, ref.dataset_columns, strict=True):
                assert contract.column(own).type == target.column(theirs).type


def test_person_files_refer_to_their_households(contracts: dict[str, Contract]) -> None:
    for person, household in [
        ("susenas_person", "susenas_household"),
        ("dtks_person", "dtks_household"),
    ]:
        assert [r.dataset for r in contracts[person].references] == [household]


def test_source_names_do_not_collide(contracts: dict[str, Contract]) -> None:
    for contract in contracts.values():
        seen: dict[str, str] = {}
        for col in contract.columns:
            for alias in {col.name.lower(), *(s.lower() for s in col.source_names)}:
                assert seen.setdefault(alias, col.name) == col.name, (contract.name, alias)


def test_key_columns_are_required(contracts: dict[str, Contract]) -> None:
    """Warehouse primary keys cannot hold nulls."""
    for contract in contracts.values():
        for key in [contract.primary_key, *contract.unique]:
            for name in key:
                assert contract.column(name).required, (contract.name, name)


def test_region_columns_match_their_code_spelling(contracts: dict[str, Contract]) -> None:
    for contract in contracts.values():
        for col in contract.columns:
            if col.region is None:
                continue
            assert col.pattern is not None, (contract.name, col.name)
            good, other = EXAMPLE_CODES[(col.region.system, col.region.level)]
            assert re.fullmatch(col.pattern, good), (contract.name, col.name, good)
            assert not re.fullmatch(col.pattern, other), (contract.name, col.name, other)


def test_region_systems_per_source(contracts: dict[str, Contract]) -> None:
    bps = {"susenas_household", "sakernas_person", "podes_village", "pdrb", "poverty_line"}
    kemendagri = {"dtks_household", "indicator_values", "apbd_line"}
    for name in bps | kemendagri:
        systems = {c.region.system for c in contracts[name].columns if c.region is not None}
        expected = CodeSystem.bps if name in bps else CodeSystem.kemendagri
        assert systems == {expected}, name


def test_column_rules_are_consistent(contracts: dict[str, Contract]) -> None:
    for contract in contracts.values():
        for col in contract.columns:
            where = (contract.name, col.name)
            if col.min is not None and col.max is not None:
                assert col.min <= col.max, where
            if col.pattern is not None:
                re.compile(col.pattern)
            if col.codes is not None:
                assert col.codes, where
                assert all(label.strip() for label in col.codes.values()), where
                if col.type is ColumnType.integer:
                    assert all(re.fullmatch(r"-?\d+", k) for k in col.codes), where
                else:
                    assert col.type is ColumnType.string, where


def test_apbd_subkegiatan_pattern_accepts_the_nomenclature(
    contracts: dict[str, Contract],
) -> None:
    pattern = contracts["apbd_line"].column("subkegiatan_code").pattern
    assert pattern is not None
    for code in ["1.01.02.1.01.0001", "1.02.02.2.02.0001", "X.XX.01.1.01.0001"]:
        assert re.fullmatch(pattern, code), code
    for code in ["1.1.02.1.01.0001", "1.01.02.1.01.001", "X.01.01.1.01.0001", "1.01.02"]:
        assert not re.fullmatch(pattern, code), code


def test_nik_pattern(contracts: dict[str, Contract]) -> None:
    pattern = contracts["dtks_person"].column("nik").pattern
    assert pattern is not None
    assert re.fullmatch(pattern, "3326014501900001")
    assert not re.fullmatch(pattern, "332601450190000")
    assert not re.fullmatch(pattern, "33260145019000011")
