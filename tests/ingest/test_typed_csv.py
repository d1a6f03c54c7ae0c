"""CSV loads read number columns typed first, and fall back to text for what only it judges."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from api.ingest import loader
from tests.ingest.conftest import active, load, poverty_lines, write_csv


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of two rows: the problem sits in a batch after others were copied."""
    monkeypatch.setattr(loader.readers, "BATCH_ROWS", 2)


def _with(frame: pl.DataFrame, column: str, row: int, value: str) -> pl.DataFrame:
    """``frame`` with ``value`` in ``column`` at spreadsheet row ``row`` (header = 1)."""
    index = pl.int_range(pl.len()) == row - 2
    return frame.with_columns(
        pl.when(index).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)
    )


def test_a_value_only_the_text_pass_parses_is_loaded(engine: Engine, tmp_path: Path) -> None:
    frame = _with(poverty_lines(6), "year", 7, " 2024 ")  # padded: the typed reader refuses it
    result = load(engine, "poverty_line", write_csv(frame, tmp_path / "padded.csv"))
    assert result.report.ok, result.report.errors
    assert result.release_id is not None
    with engine.connect() as conn:
        years = conn.scalars(
            text("SELECT DISTINCT year FROM ds_poverty_line WHERE release_id = :r"),
            {"r": result.release_id},
        ).all()
    assert years == [2024]
    assert active(engine, "poverty_line") == (result.release_id, 6)


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [("urban", "1x", "type"), ("urban", "07", "code"), ("poverty_line", "0.5", "min")],
)
def test_a_late_problem_is_reported_as_the_file_spells_it(
    engine: Engine, tmp_path: Path, column: str, value: str, rule: str
) -> None:
    first = load(engine, "poverty_line", write_csv(poverty_lines(), tmp_path / "first.csv"))
    frame = _with(poverty_lines(6), column, 7, value)
    result = load(engine, "poverty_line", write_csv(frame, tmp_path / "bad.csv"))
    assert result.release_id is None
    assert [(e.rule, e.column, e.count) for e in result.report.errors] == [(rule, column, 1)]
    assert [(x.row, x.value) for x in result.report.errors[0].examples] == [(7, value)]
    assert result.report.rows_read == 6
    assert active(engine, "poverty_line") == (first.release_id, 3)
