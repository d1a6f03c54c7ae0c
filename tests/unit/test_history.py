"""Tests for the region-code crosswalk between Kemendagri vintages.

Small hand-made vintages pin down each kind of change; the real archives check that the
crosswalk is complete and consistent and that the Papua pemekaran comes out right. Run with
`-s` to see the per-stage match rates and timings.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import polars as pl
import pytest

from api.regions.history import LEVELS, STAGES, match_villages, match_vintages, read_vintage

REGIONS_DIR = Path(__file__).resolve().parents[2] / "data" / "reference" / "regions"
_SOURCE_LEVEL_BY_DEPTH = {1: "provinsi", 2: "kabkota", 3: "kecamatan", 4: "desa"}

# Two regencies, one with an empty district; names in the archive style ("KAB. ...").
BASE: list[tuple[str, str]] = [
    ("11", "ACEH"),
    ("11.01", "KAB. ACEH SELATAN"),
    ("11.01.01", "Bakongan"),
    ("11.01.01.2001", "Keude Bakongan"),
    ("11.01.01.2002", "Ujong Mangki"),
    ("11.01.02", "Kluet Utara"),
    ("11.01.02.2001", "Fajar Harapan"),
    ("11.01.02.2002", "Krueng Batu"),
    ("11.01.03", "Kecamatan Tanpa Desa"),
    ("11.71", "KOTA BANDA ACEH"),
    ("11.71.01", "Baiturrahman"),
    ("11.71.01.1001", "Ateuk Jawo"),
    ("11.71.01.1002", "Lambang Sari I, II, III"),
]


def write_vintage(directory: Path, name: str, rows: list[tuple[str, str]]) -> Path:
    """Write rows (code, name) as a Kemendagri CSV, level taken from the code's depth."""
    path = directory / f"{name}.csv"
    pl.DataFrame(
        {
            "kode": [code for code, _ in rows],
            "nama": [label for _, label in rows],
            "level": [_SOURCE_LEVEL_BY_DEPTH[code.count(".") + 1] for code, _ in rows],
        }
    ).write_csv(path)
    return path


def renamed(rows: list[tuple[str, str]], names: dict[str, str]) -> list[tuple[str, str]]:
    """Rows with the names of some codes replaced."""
    return [(code, names.get(code, label)) for code, label in rows]


def without(rows: list[tuple[str, str]], prefix: str) -> list[tuple[str, str]]:
    """Rows minus a region and everything under it."""
    return [(code, label) for code, label in rows if not (code + ".").startswith(prefix + ".")]


def recoded(rows: list[tuple[str, str]], old_prefix: str, new_prefix: str) -> list[tuple[str, str]]:
    """Rows with every code under old_prefix moved under new_prefix (same names)."""
    return [
        (
            new_prefix + code[len(old_prefix) :]
            if f"{code}.".startswith(f"{old_prefix}.")
            else code,
            label,
        )
        for code, label in rows
    ]


def crosswalk(
    tmp_path: Path, old_rows: list[tuple[str, str]], new_rows: list[tuple[str, str]]
) -> pl.DataFrame:
    old = read_vintage(write_vintage(tmp_path, "old", old_rows))
    new = read_vintage(write_vintage(tmp_path, "new", new_rows))
    return match_vintages(old, new)


def rows_from(result: pl.DataFrame, from_code: str) -> list[tuple[str | None, float | None, str]]:
    """(to_code, share, kind) of one old code, in output order."""
    return result.filter(pl.col("from_code") == from_code).select("to_code", "share", "kind").rows()


# --- small hand-made vintages -------------------------------------------------------------


def test_read_vintage_keeps_codes_as_text_and_quoted_commas(tmp_path: Path) -> None:
    rows = [*BASE, ("11.10", "KAB. ACEH SINGKIL")]
    vintage = read_vintage(write_vintage(tmp_path, "v", rows))
    assert vintage.columns == ["code", "name", "level", "parent_code"]
    assert vintage.schema["code"] == pl.String
    by_code = {row[0]: row for row in vintage.rows()}
    # "11.10" must not turn into the float 11.1.
    assert by_code["11.10"] == ("11.10", "KAB. ACEH SINGKIL", "regency", "11")
    assert by_code["11"] == ("11", "ACEH", "province", None)
    assert by_code["11.71.01.1002"] == (
        "11.71.01.1002",
        "Lambang Sari I, II, III",
        "village",
        "11.71.01",
    )
    assert set(vintage["level"]) == set(LEVELS)


def test_read_vintage_rejects_unknown_level(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("kode,nama,level\n11,ACEH,negara\n")
    with pytest.raises(pl.exceptions.InvalidOperationError):
        read_vintage(path)


def test_identical_vintages_are_all_same(tmp_path: Path) -> None:
    result = crosswalk(tmp_path, BASE, BASE)
    assert result.schema == pl.Schema(
        {
            "from_code": pl.String,
            "to_code": pl.String,
            "level": pl.String,
            "share": pl.Float64,
            "kind": pl.String,
        }
    )
    assert result.height == len(BASE)
    assert (result["kind"] == "same").all()
    assert (result["from_code"] == result["to_code"]).all()
    assert (result["share"] == 1.0).all()


def test_archive_and_2025_name_styles_match(tmp_path: Path) -> None:
    # 2025 writes "Kabupaten Aceh Selatan" where archives write "KAB. ACEH SELATAN"; re-code the
    # regency too so only names (not codes) can tie its villages together.
    new = recoded(
        renamed(
            BASE, {"11": "Aceh", "11.01": "Kabupaten Aceh Selatan", "11.71": "Kota Banda Aceh"}
        ),
        "11.01",
        "11.02",
    )
    result = crosswalk(tmp_path, BASE, new)
    assert rows_from(result, "11.01") == [("11.02", 1.0, "recoded")]
    assert rows_from(result, "11.01.02.2001") == [("11.02.02.2001", 1.0, "recoded")]


def test_regency_split_gives_two_shares_summing_to_one(tmp_path: Path) -> None:
    # Kluet Utara leaves Aceh Selatan for a new regency 11.16 and is re-coded with it.
    new = [
        *without(BASE, "11.01.02"),
        ("11.16", "Kabupaten Aceh Baru"),
        ("11.16.01", "Kluet Utara"),
        ("11.16.01.2001", "Fajar Harapan"),
        ("11.16.01.2002", "Krueng Batu"),
    ]
    result = crosswalk(tmp_path, BASE, new)
    assert rows_from(result, "11.01") == [("11.01", 0.5, "split"), ("11.16", 0.5, "split")]
    assert rows_from(result, "11.01.02") == [("11.16.01", 1.0, "recoded")]
    assert rows_from(result, "11.01.01") == [("11.01.01", 1.0, "same")]
    assert rows_from(result, "11.01.02.2002") == [("11.16.01.2002", 1.0, "recoded")]


def test_renamed_village_keeps_its_code(tmp_path: Path) -> None:
    new = renamed(BASE, {"11.01.01.2002": "Ujung Mangki"})
    result = crosswalk(tmp_path, BASE, new)
    assert rows_from(result, "11.01.01.2002") == [("11.01.01.2002", 1.0, "same")]
    old_v = read_vintage(write_vintage(tmp_path, "old", BASE))
    new_v = read_vintage(write_vintage(tmp_path, "new", new))
    stages = dict(match_villages(old_v, new_v).select("from_code", "stage").rows())
    assert stages["11.01.01.2002"] == "code"
    assert stages["11.01.01.2001"] == "code_name"


def test_recoded_district(tmp_path: Path) -> None:
    new = recoded(BASE, "11.71.01", "11.71.05")
    result = crosswalk(tmp_path, BASE, new)
    assert rows_from(result, "11.71.01") == [("11.71.05", 1.0, "recoded")]
    assert rows_from(result, "11.71.01.1002") == [("11.71.05.1002", 1.0, "recoded")]
    assert rows_from(result, "11.71") == [("11.71", 1.0, "same")]


def test_village_moved_to_new_district_of_same_regency(tmp_path: Path) -> None:
    # Kecamatan pemekaran: Krueng Batu moves to a new district, so its district name changes.
    new = [
        *without(BASE, "11.01.02.2002"),
        ("11.01.04", "Kluet Baru"),
        ("11.01.04.2001", "Krueng Batu"),
    ]
    old_v = read_vintage(write_vintage(tmp_path, "old", BASE))
    new_v = read_vintage(write_vintage(tmp_path, "new", new))
    stages = dict(match_villages(old_v, new_v).select("from_code", "stage").rows())
    assert stages["11.01.02.2002"] == "regency_name"
    result = match_vintages(old_v, new_v)
    assert rows_from(result, "11.01.02") == [
        ("11.01.02", 0.5, "split"),
        ("11.01.04", 0.5, "split"),
    ]


def test_ended_region_is_kept_with_null_successor(tmp_path: Path) -> None:
    # Kota Banda Aceh disappears with its only district and villages.
    result = crosswalk(tmp_path, BASE, without(BASE, "11.71"))
    for code in ("11.71", "11.71.01", "11.71.01.1001", "11.71.01.1002"):
        assert rows_from(result, code) == [(None, None, "ended")]
    # The province keeps its successor; the lost villages show up as an explicit remainder.
    assert rows_from(result, "11") == [("11", 2 / 3, "same"), (None, 1 / 3, "ended")]


def test_region_without_villages_falls_back_to_its_code(tmp_path: Path) -> None:
    kept = crosswalk(tmp_path, BASE, BASE)
    assert rows_from(kept, "11.01.03") == [("11.01.03", 1.0, "same")]
    dropped = crosswalk(tmp_path, BASE, without(BASE, "11.01.03"))
    assert rows_from(dropped, "11.01.03") == [(None, None, "ended")]


def test_ambiguous_names_are_not_guessed(tmp_path: Path) -> None:
    # Two "Sukamaju" in one district, both re-coded: no name key is unique and no code survives,
    # so neither may be matched, rather than matched to a coin flip.
    old = [*BASE, ("11.01.01.2003", "Sukamaju"), ("11.01.01.2004", "Suka Maju")]
    new = [*BASE, ("11.01.01.2005", "Sukamaju"), ("11.01.01.2006", "Sukamaju")]
    result = crosswalk(tmp_path, old, new)
    assert rows_from(result, "11.01.01.2003") == [(None, None, "ended")]
    assert rows_from(result, "11.01.01.2004") == [(None, None, "ended")]


# --- real archives --------------------------------------------------------------------------


def vintage_path(year: int) -> Path:
    if year == 2025:
        return REGIONS_DIR / "wilayah_kepmendagri_2025.csv"
    return REGIONS_DIR / f"archive_wilayah_{year}.csv.gz"


@functools.cache
def load(year: int) -> pl.DataFrame:
    return read_vintage(vintage_path(year))


@pytest.fixture(scope="module")
def papua_crosswalk() -> pl.DataFrame:
    old, new = load(2020), load(2025)
    started = time.perf_counter()
    result = match_vintages(old, new)
    print(f"\nmatch_vintages 2020->2025: {time.perf_counter() - started:.3f} s")
    return result


def successors(result: pl.DataFrame, from_code: str) -> set[str]:
    return set(result.filter(pl.col("from_code") == from_code)["to_code"].drop_nulls())


def test_papua_2020_province_codes() -> None:
    # Before the 2022 pemekaran Kemendagri coded Papua 91 and Papua Barat 92 (94 did not exist).
    provinces = dict(load(2020).filter(pl.col("level") == "province").select("code", "name").rows())
    assert provinces["91"] == "P A P U A"
    assert provinces["92"] == "PAPUA BARAT"
    assert "94" not in provinces


def test_papua_split_2020_to_2025(papua_crosswalk: pl.DataFrame) -> None:
    assert successors(papua_crosswalk, "91") == {"91", "93", "94", "95"}
    assert successors(papua_crosswalk, "92") == {"92", "96"}
    papua = papua_crosswalk.filter(pl.col("from_code") == "91", pl.col("to_code").is_not_null())
    assert (papua["kind"] == "split").all()
    # Merauke moved to Papua Selatan under a new code.
    assert successors(papua_crosswalk, "91.01") == {"93.01"}


def test_every_old_code_is_in_the_crosswalk(papua_crosswalk: pl.DataFrame) -> None:
    assert set(papua_crosswalk["from_code"]) == set(load(2020)["code"])
    successor_codes = set(papua_crosswalk["to_code"].drop_nulls())
    assert successor_codes <= set(load(2025)["code"])


def test_shares_sum_to_one_where_not_ended(papua_crosswalk: pl.DataFrame) -> None:
    sums = (
        papua_crosswalk.group_by("from_code")
        .agg(pl.col("to_code").count().alias("successors"), pl.col("share").sum())
        .filter(pl.col("successors") > 0)
    )
    assert ((sums["share"] - 1.0).abs() < 1e-9).all()
    fully_ended = papua_crosswalk.filter(pl.col("to_code").count().over("from_code") == 0)
    assert fully_ended["share"].is_null().all()
    assert (fully_ended["kind"] == "ended").all()


def test_village_matches_are_one_to_one(papua_crosswalk: pl.DataFrame) -> None:
    villages = papua_crosswalk.filter(pl.col("level") == "village")
    assert villages["from_code"].is_unique().all()
    assert villages["to_code"].drop_nulls().is_unique().all()


def test_no_regency_split_2020_to_2025(papua_crosswalk: pl.DataFrame) -> None:
    # No regency was created between 2020 and 2025 (514 both years), only moved: a split here
    # would mean villages were matched across regencies by mistake.
    regencies = papua_crosswalk.filter(pl.col("level") == "regency")
    assert not (regencies["kind"] == "split").any()


PAIRS = [(2016, 2018), (2018, 2020), (2020, 2022), (2022, 2023), (2023, 2025), (2016, 2025)]


@pytest.mark.parametrize(("old_year", "new_year"), PAIRS)
def test_stage_match_rates(old_year: int, new_year: int) -> None:
    old, new = load(old_year), load(new_year)
    started = time.perf_counter()
    villages = match_villages(old, new)
    elapsed = time.perf_counter() - started
    rates = villages.group_by("stage").len().with_columns(pl.col("len") / villages.height)
    by_stage = dict(rates.rows())
    parts = [f"{name}={by_stage.get(name, 0.0):.4%}" for name, _ in STAGES]
    matched = 1.0 - by_stage.get(None, 0.0)
    print(
        f"\n{old_year}->{new_year}: {villages.height} villages, matched {matched:.4%} "
        f"({', '.join(parts)}, unmatched={by_stage.get(None, 0.0):.4%}) in {elapsed:.3f} s"
    )
    assert matched > 0.99
