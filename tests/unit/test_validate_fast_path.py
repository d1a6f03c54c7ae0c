"""The fast validation path agrees with the exact one on every value it is given.

``validate_batch`` parses each column as it stands and hands a column to ``validate_exact``
only when something is off. The exact path is the reference: for every contract sample, and
for the sample with one awkward value put in each column in turn, both must report the same
violations (rule, column, count, example rows and values) and return the same typed values.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from api.ingest import readers
from api.ingest.contracts import ColumnType, Contract, all_contracts
from api.ingest.readers import ROW_COLUMN
from api.ingest.report import ViolationCollector
from api.ingest.validate import CSV_READ_TYPES, RegionCheck, validate_batch, validate_exact

SAMPLES = Path(__file__).parents[1] / "ingest" / "samples"

AWKWARD = [
    "",
    "   ",
    " 5",
    "02",
    "+2024",
    "2024.0",
    "1,5",
    "nan",
    " NaN",
    "inf",
    "-1",
    "99999999",
    "YA",
    "TIDAK",
    "True",
    "2",
    "3",
    "x",
    "2024-02-30",
    "33.26.01.2001",
    "+202",  # four bytes that read as a number: not four digits
    "+123456789012345",
    "\u0661\u0662\u0663\u0664",  # Arabic-Indic digits, which a pattern's \d also matches
]


def _batch(name: str) -> pl.DataFrame:
    frame = pl.read_csv(SAMPLES / f"{name}.csv", infer_schema=False)
    return frame.with_row_index(ROW_COLUMN, offset=2).with_columns(
        pl.col(ROW_COLUMN).cast(pl.Int64)
    )


def _regions(contract: Contract, batch: pl.DataFrame) -> dict[str, RegionCheck]:
    """Every sample code but the first row's is known, so the region rule fires too."""
    return {
        c.name: RegionCheck(batch[c.name].drop_nulls().slice(1))
        for c in contract.columns
        if c.region is not None and c.name in batch.columns
    }


def _both(contract: Contract, batch: pl.DataFrame) -> None:
    regions = _regions(contract, batch)
    fast_report, exact_report = ViolationCollector(), ViolationCollector()
    fast = validate_batch(contract, batch, regions, fast_report)
    present = [c for c in contract.columns if c.name in batch.columns]
    exact = pl.DataFrame(validate_exact(present, batch, regions, exact_report))
    assert fast_report.violations == exact_report.violations
    assert_frame_equal(fast.select(exact.columns), exact)


@pytest.mark.parametrize("name", sorted(all_contracts()))
def test_fast_path_agrees_on_every_awkward_value(name: str) -> None:
    contract = all_contracts()[name]
    batch = _batch(name)
    _both(contract, batch)
    for col in contract.columns:
        if col.name not in batch.columns:
            continue
        # One awkward value among good ones: the fast path must not accept it silently.
        for value in AWKWARD:
            in_row_3 = pl.when(pl.col(ROW_COLUMN) == 3).then(pl.lit(value))
            _both(
                contract, batch.with_columns(in_row_3.otherwise(pl.col(col.name)).alias(col.name))
            )
        _both(contract, batch.with_columns(pl.lit(None, pl.String).alias(col.name)))


def test_typed_parquet_columns_skip_parsing_and_keep_their_rules() -> None:
    """Native numbers need no parse; a value out of range is still reported, as text."""
    contract = all_contracts()["poverty_line"]
    batch = pl.DataFrame(
        {
            ROW_COLUMN: [2, 3],
            "kab_code": ["3301", "3302"],
            "urban": [1, 7],
            "year": pl.Series([2024, 2024], dtype=pl.Int32),
            "poverty_line": [500_000.0, 0.5],
        }
    )
    collector = ViolationCollector()
    typed = validate_batch(contract, batch, {}, collector)
    found = {
        (v.rule, v.column, v.examples[0].row, v.examples[0].value) for v in collector.violations
    }
    assert found == {("code", "urban", 3, "7"), ("min", "poverty_line", 3, "0.5")}
    assert typed.schema["year"] == pl.Int64
    assert typed["year"].to_list() == [2024, 2024]


def test_a_listed_region_code_that_breaks_the_pattern_is_reported_as_a_pattern() -> None:
    """The fast path checks pattern and region list with one lookup; a code list holding a
    malformed code must not let that code through."""
    contract = all_contracts()["dtks_household"]
    batch = _batch("dtks_household")
    codes = batch["desa_code"]
    malformed = "33.26.01.20011"
    listed = RegionCheck(pl.concat([codes, pl.Series([malformed])]))
    bad = batch.with_columns(
        pl.when(pl.col(ROW_COLUMN) == 4)
        .then(pl.lit(malformed))
        .otherwise("desa_code")
        .alias("desa_code")
    )
    _both(contract, bad)
    collector = ViolationCollector()
    validate_batch(contract, bad, {"desa_code": listed}, collector)
    found = [(v.rule, v.column, v.count, v.examples[0].row) for v in collector.violations]
    assert found == [("pattern", "desa_code", 1, 4)]
    assert not _violations(contract, batch, {"desa_code": listed})


def test_a_padded_listed_region_code_is_loaded_clean() -> None:
    """The fast path takes listed codes as they stand; a padded one must still be cleaned."""
    contract = all_contracts()["dtks_household"]
    batch = _batch("dtks_household")
    padded = batch.with_columns(
        (pl.lit(" ") + pl.col("desa_code") + pl.lit("\t")).alias("desa_code")
    )
    regions = {"desa_code": RegionCheck(batch["desa_code"])}
    collector = ViolationCollector()
    typed = validate_batch(contract, padded, regions, collector)
    assert not collector
    assert typed["desa_code"].to_list() == batch["desa_code"].to_list()


def test_boolean_spelled_outside_the_first_values_pair_is_not_read_as_false() -> None:
    contract = all_contracts()["dtks_household"]
    column = next(c.name for c in contract.columns if c.type is ColumnType.boolean)
    batch = _batch("dtks_household").with_columns(pl.Series(column, ["1", "ya", "0", "1", "true"]))
    typed = validate_batch(contract, batch, {}, ViolationCollector())
    assert typed[column].to_list() == [True, True, False, True, True]


def test_typed_nan_and_inf_are_refused_and_float32_keeps_its_decimal() -> None:
    contract = all_contracts()["poverty_line"]
    batch = pl.DataFrame(
        {
            ROW_COLUMN: [2, 3, 4],
            "kab_code": ["3301", "3302", "3303"],
            "urban": [1, 1, 1],
            "year": [2024, 2024, 2024],
            "poverty_line": [500_000.5, float("nan"), float("inf")],
            "food_poverty_line": pl.Series([400_000.1, 400_000.2, 400_000.3], dtype=pl.Float32),
        }
    )
    collector = ViolationCollector()
    typed = validate_batch(contract, batch, {}, collector)
    found = [(v.rule, v.column, v.count, [e.row for e in v.examples]) for v in collector.violations]
    assert found == [("type", "poverty_line", 2, [3, 4])]
    assert typed["food_poverty_line"].to_list() == [400_000.1, 400_000.2, 400_000.3]


def _read_typed(contract: Contract, frame: pl.DataFrame, path: Path) -> pl.DataFrame | None:
    """``frame`` written as CSV and read back with its number and yes/no columns typed by the
    reader, as a load's first pass does; None when the reader refuses a value."""
    frame.drop(ROW_COLUMN).write_csv(path)
    types = {
        c.name: CSV_READ_TYPES[c.type]
        for c in contract.columns
        if c.name in frame.columns and c.type in CSV_READ_TYPES
    }
    try:
        return pl.concat(list(readers.read_batches(path, readers.FileFormat.csv, 1000, types)))
    except readers.TypedReadError:
        return None


@pytest.mark.parametrize("name", sorted(all_contracts()))
def test_a_csv_read_typed_agrees_with_the_text_wherever_it_parses(
    name: str, tmp_path: Path
) -> None:
    """The typed first pass of a CSV load must load exactly what the text pass would, and
    notice (so the text pass takes over) whatever the text pass would refuse."""
    contract = all_contracts()[name]
    batch = _batch(name)
    regions = {  # every code known: the clean sample is loaded
        c.name: RegionCheck(batch[c.name].drop_nulls())
        for c in contract.columns
        if c.region is not None and c.name in batch.columns
    }
    assert not _violations(contract, batch, regions)
    typed_columns = [
        c for c in contract.columns if c.name in batch.columns and c.type in CSV_READ_TYPES
    ]
    checked = 0
    for col in typed_columns:
        for value in AWKWARD:
            in_row_3 = pl.when(pl.col(ROW_COLUMN) == 3).then(pl.lit(value))
            text = batch.with_columns(in_row_3.otherwise(pl.col(col.name)).alias(col.name))
            typed = _read_typed(contract, text, tmp_path / "typed.csv")
            if typed is None:
                continue
            present = [c for c in contract.columns if c.name in batch.columns]
            exact_report, typed_report = ViolationCollector(), ViolationCollector()
            exact = pl.DataFrame(validate_exact(present, text, regions, exact_report))
            loaded = validate_batch(contract, typed, regions, typed_report)
            assert bool(typed_report) == bool(exact_report), (col.name, value)
            if not exact_report:
                assert_frame_equal(loaded.select(exact.columns), exact)
                checked += 1
    assert checked or not typed_columns


def _violations(
    contract: Contract, batch: pl.DataFrame, regions: dict[str, RegionCheck]
) -> list[object]:
    collector = ViolationCollector()
    validate_batch(contract, batch, regions, collector)
    return list(collector.violations)
