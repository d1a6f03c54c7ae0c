"""Every contract, end to end: its sample file loads, and generic breakages of it are refused.

``tests/ingest/samples/<contract>.csv`` holds a small valid file per contract (every column,
real region codes). The mutations below are derived from the contract models, so a new or
edited contract is covered without writing a test for it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from api.ingest.contracts import Column, ColumnType, Contract, all_contracts
from api.ingest.report import Report
from tests.ingest.conftest import active, load, write_csv

SAMPLES = Path(__file__).parent / "samples"
CONTRACTS = all_contracts()
NAMES = sorted(CONTRACTS)

TYPE_ROW, RANGE_ROW, CODE_ROW, REGION_ROW = 2, 3, 4, 5  # spreadsheet rows (header = 1)
UNPARSABLE = {
    ColumnType.integer: "dua",
    ColumnType.float: "1.234,5",  # decimal comma and thousands separator
    ColumnType.date: "31/12/2024",
    ColumnType.boolean: "mungkin",
}


def sample(name: str) -> pl.DataFrame:
    """The sample as text, exactly as in the file (empty cells are null)."""
    return pl.read_csv(SAMPLES / f"{name}.csv", infer_schema=False)


def prerequisites(name: str) -> list[str]:
    """Datasets that must be active before ``name`` loads, in load order."""
    order: list[str] = []
    for ref in CONTRACTS[name].references:
        for dep in [*prerequisites(ref.dataset), ref.dataset]:
            if dep not in order:
                order.append(dep)
    return order


def load_sample(engine: Engine, name: str) -> tuple[int, int]:
    """Load the samples of ``name`` and what it refers to; (release id, rows) of ``name``."""
    for dataset in [*prerequisites(name), name]:
        result = load(engine, dataset, SAMPLES / f"{dataset}.csv", label="sample")
        assert result.report.ok, result.report
    state = active(engine, name)
    assert state is not None
    return state


# --- the samples themselves -----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_sample_covers_its_contract(name: str) -> None:
    contract, frame = CONTRACTS[name], sample(name)
    assert frame.columns == [c.name for c in contract.columns]
    assert 4 <= frame.height <= 6
    assert not frame.select(contract.primary_key).is_duplicated().any()
    for col in contract.columns:
        if col.required:
            assert frame[col.name].null_count() == 0, col.name
        else:
            assert frame[col.name].null_count() < frame.height, f"{col.name} is never filled"
    optional = [c.name for c in contract.columns if not c.required]
    if optional:
        assert frame.select(optional).null_count().sum_horizontal().item() > 0, "no empty cell"
    for ref in contract.references:
        targets = sample(ref.dataset).select(ref.dataset_columns).rows()
        assert set(frame.select(ref.columns).rows()) <= set(targets)


@pytest.mark.parametrize("name", NAMES)
def test_sample_loads_as_the_active_release(engine: Engine, name: str) -> None:
    for dataset in prerequisites(name):
        assert load(engine, dataset, SAMPLES / f"{dataset}.csv").report.ok
    frame = sample(name)
    result = load(engine, name, SAMPLES / f"{name}.csv")
    assert result.report.ok, result.report
    assert result.report.rows_read == frame.height
    assert result.report.warnings == []
    assert active(engine, name) == (result.release_id, frame.height)
    # Every filled cell was parsed and stored (nothing silently turned into NULL).
    columns = [c.name for c in CONTRACTS[name].columns]
    counts = ", ".join(f'count("{c}")' for c in columns)
    with engine.connect() as conn:
        stored = conn.execute(
            text(f"SELECT {counts} FROM ds_{name} WHERE release_id = :r"),
            {"r": result.release_id},
        ).one()
    assert dict(zip(columns, stored, strict=True)) == {
        c: frame.height - frame[c].null_count() for c in columns
    }


# --- generic breakages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakage:
    frame: pl.DataFrame
    rule: str
    column: str
    rows: list[int]  # spreadsheet rows of the examples (none for header problems)
    value: str | None = None  # the value the report shows for the first example


def _first(contract: Contract, what: str, test: Callable[[Column], bool]) -> Column:
    found = next((c for c in contract.columns if test(c)), None)
    if found is None:
        pytest.skip(f"{contract.name} has no {what}")
    return found


def _set(frame: pl.DataFrame, column: str, row: int, value: str) -> pl.DataFrame:
    """``frame`` with ``value`` in ``column`` at spreadsheet row ``row`` (header = 1)."""
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row - 2)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    )


def _numeric(col: Column) -> bool:
    return col.type in (ColumnType.integer, ColumnType.float)


def missing_column(contract: Contract, frame: pl.DataFrame) -> Breakage:
    col = _first(contract, "required column", lambda c: c.required)
    return Breakage(frame.drop(col.name), "missing_column", col.name, [1])  # the header row


def below_min(contract: Contract, frame: pl.DataFrame) -> Breakage:
    col = _first(contract, "numeric column with a min", lambda c: _numeric(c) and c.min is not None)
    assert col.min is not None
    value = str(math.ceil(col.min) - 1) if col.type is ColumnType.integer else str(col.min - 1)
    return Breakage(_set(frame, col.name, RANGE_ROW, value), "min", col.name, [RANGE_ROW], value)


def above_max(contract: Contract, frame: pl.DataFrame) -> Breakage:
    col = _first(contract, "numeric column with a max", lambda c: _numeric(c) and c.max is not None)
    assert col.max is not None
    value = str(math.floor(col.max) + 1) if col.type is ColumnType.integer else str(col.max + 1)
    return Breakage(_set(frame, col.name, RANGE_ROW, value), "max", col.name, [RANGE_ROW], value)


def unparsable(contract: Contract, frame: pl.DataFrame) -> Breakage:
    col = _first(contract, "typed (non-text) column", lambda c: c.type in UNPARSABLE)
    value = UNPARSABLE[col.type]
    return Breakage(_set(frame, col.name, TYPE_ROW, value), "type", col.name, [TYPE_ROW], value)


def unknown_code(contract: Contract, frame: pl.DataFrame) -> Breakage:
    col = _first(contract, "column with codes", lambda c: c.codes is not None)
    assert col.codes is not None
    numeric = all(k.isdigit() for k in col.codes)
    value = str(max(int(k) for k in col.codes) + 1) if numeric else "XX"
    assert value not in col.codes
    return Breakage(_set(frame, col.name, CODE_ROW, value), "code", col.name, [CODE_ROW], value)


def duplicate_key(contract: Contract, frame: pl.DataFrame) -> Breakage:
    key = ", ".join(str(frame[c][0]) for c in contract.primary_key)
    label = ", ".join(contract.primary_key)
    return Breakage(pl.concat([frame, frame.head(1)]), "unique", label, [frame.height + 2], key)


def unknown_region(contract: Contract, frame: pl.DataFrame) -> Breakage:
    col = _first(contract, "region column", lambda c: c.region is not None)
    # Same shape as a real code, but every digit a 9: no such region.
    value = re.sub(r"\d", "9", frame[col.name][REGION_ROW - 2])
    assert col.pattern is None or re.fullmatch(col.pattern, value)
    return Breakage(
        _set(frame, col.name, REGION_ROW, value), "region", col.name, [REGION_ROW], value
    )


BREAKAGES = {
    f.__name__: f
    for f in (
        missing_column,
        below_min,
        above_max,
        unparsable,
        unknown_code,
        duplicate_key,
        unknown_region,
    )
}


def _only_error(report: Report) -> tuple[str, str | None, list[int | None], str | None]:
    assert not report.ok
    assert len(report.errors) == 1, report.errors
    error = report.errors[0]
    first = error.examples[0].value if error.examples else None
    return error.rule, error.column, [e.row for e in error.examples], first


@pytest.mark.parametrize("breakage", list(BREAKAGES))
@pytest.mark.parametrize("name", NAMES)
def test_broken_sample_is_refused(engine: Engine, tmp_path: Path, name: str, breakage: str) -> None:
    broken = BREAKAGES[breakage](CONTRACTS[name], sample(name))
    baseline = load_sample(engine, name)
    result = load(engine, name, write_csv(broken.frame, tmp_path / f"{name}.csv"), label="bad")
    assert result.release_id is None
    assert _only_error(result.report) == (broken.rule, broken.column, broken.rows, broken.value)
    assert active(engine, name) == baseline
