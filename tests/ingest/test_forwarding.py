"""A clean CSV file's records go to Postgres as the file holds them; whatever Postgres would
read otherwise is sent as validated rows. Each case loads one file twice, with and without
forwarding, and both loads must report and store exactly the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, text

from api.db import copy
from api.ingest import loader, parts, readers
from api.ingest.contracts import ColumnType, all_contracts
from tests.ingest.conftest import empty, load

SAMPLES = Path(__file__).parent / "samples"
CHANGED_ROW = 3  # the spreadsheet row a case changes (the header is row 1)


@dataclass(frozen=True)
class Outcome:
    errors: list[tuple[str, str, int, list[tuple[int, str | None]]]]
    rows: list[tuple[Any, ...]]  # the release's rows, without release_id and load_part
    forwarded: int  # batches Postgres took as the file's records


def _records(contract: str) -> list[list[str | None]]:
    """The contract's sample as text, its yes/no columns spelled 1/0 (Postgres reads those
    as the validator does, so the unchanged sample is forwarded)."""
    frame = pl.read_csv(SAMPLES / f"{contract}.csv", infer_schema=False)
    spelled = {"ya": "1", "tidak": "0"}
    yes_no = [c.name for c in all_contracts()[contract].columns if c.type is ColumnType.boolean]
    frame = frame.with_columns(pl.col(yes_no).replace(spelled))
    return [frame.columns, *(list(row) for row in frame.iter_rows())]


def _field(value: str | None) -> str:
    if value is None:
        return ""
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _write(path: Path, lines: list[str], newline: str = "\n") -> Path:
    path.write_bytes("".join(line + newline for line in lines).encode())
    return path


def _lines(records: list[list[str | None]], column: str | None, raw: str) -> list[str]:
    """The records as CSV lines, with ``raw`` as the file spells it in ``column`` of the
    changed row."""
    header, *rows = records
    lines = [",".join(_field(v) for v in header)]  # type: ignore[arg-type]
    for number, row in enumerate(rows, start=2):
        fields = [_field(v) for v in row]
        if number == CHANGED_ROW and column is not None:
            fields[header.index(column)] = raw
        lines.append(",".join(fields))
    return lines


def _outcome(engine: Engine, contract: str, path: Path) -> Outcome:
    calls: list[int] = []
    real = parts.copy_csv

    def counted(*args: Any, **kwargs: Any) -> int:
        stored = real(*args, **kwargs)
        calls.append(stored)  # only what Postgres took
        return stored

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parts, "copy_csv", counted)
        result = load(engine, contract, path)
    errors = [
        (e.rule, e.column, e.count, [(x.row, x.value) for x in e.examples])
        for e in result.report.errors
    ]
    stored: list[tuple[Any, ...]] = []
    if result.release_id is not None:
        table = all_contracts()[contract].table
        key = ", ".join(all_contracts()[contract].primary_key)
        with engine.connect() as conn:
            found = conn.execute(
                text(f"SELECT * FROM {table} WHERE release_id = :r ORDER BY {key}"),
                {"r": result.release_id},
            ).mappings()
            stored = [
                tuple(v for k, v in row.items() if k not in ("release_id", "load_part"))
                for row in found
            ]
    return Outcome(errors, stored, len(calls))


def _both(engine: Engine, contract: str, path: Path) -> tuple[Outcome, Outcome]:
    """The file loaded as it is, then (the warehouse emptied) with nothing forwarded."""
    forwarding = _outcome(engine, contract, path)
    empty(engine)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "forwardable", lambda *_: False)
        validated = _outcome(engine, contract, path)
    assert validated.forwarded == 0
    return forwarding, validated


HOUSEHOLD: list[tuple[str, str, bool]] = [
    ("address", '"Jl. Mawar, No. 5"', True),
    ("address", "Jl. Mawar \\ No. 5", True),  # no escapes in CSV
    ("address", "\\.", False),  # ends a COPY alone on a line: never forwarded
    ("address", "\\N", True),  # null only in COPY's text format
    ("head_name", '"Siti\nAminah"', True),
    ("head_name", '"Siti\r\nAminah"', True),
    ("address", '" Jl. Mawar "', False),  # trimmed by the validator
    ("address", "Jl. Mawar ", False),
    ("address", 'Jl. "Mawar" 5', False),  # a quote inside a field
    ("address", '"Jl. ""Mawar"" 5"', False),
    ("address", '"Jl. "Mawar" 5"', True),  # quotes as Postgres reads them: Jl. Mawar 5
    ("address", '""', False),  # blank: a broken rule (required)
    ("head_name", "   ", False),
    ("no_kk", '""', True),  # null to both (FORCE_NULL)
    ("has_gas_cylinder", "true", True),
    ("has_gas_cylinder", "t", True),
    ("has_gas_cylinder", "y", True),
    ("has_gas_cylinder", "no", True),
    ("has_gas_cylinder", "ya", False),  # unknown to Postgres
    ("has_gas_cylinder", "tidak", False),
    ("has_gas_cylinder", "2", False),  # false on BPS forms, unknown to Postgres
    ("has_gas_cylinder", " 1", False),  # the text pass judges it
    ("has_gas_cylinder", "01", False),
    ("has_gas_cylinder", "TRUE", False),
    ("has_gas_cylinder", '""', True),  # null to both
    ("hh_size", "+4", True),
    ("hh_size", "04", True),
    ("hh_size", " 4", True),  # Polars and Postgres both read 4
    ("hh_size", "4.0", False),
    ("hh_size", "0x4", False),
    ("hh_size", '"4"', True),
    ("floor_area_m2", "4.25e1", True),
    ("floor_area_m2", ".5e1", True),
    ("floor_area_m2", "5.", True),
    ("floor_area_m2", "1.1", True),  # no exact binary value: both round alike
    ("floor_area_m2", "0.5", False),  # below the minimum
    ("floor_area_m2", "1e400", False),  # infinite: a broken rule
    ("floor_area_m2", "NaN", False),
]

INDICATOR: list[tuple[str, str, bool]] = [
    ("reviewed_at", "2025-03-14", True),
    ("reviewed_at", "2025-3-14", False),
    ("reviewed_at", " 2025-03-14", False),
    ("value", "4.9e-324", True),  # the smallest denormal, to both
    ("value", "1e-400", False),  # 0 to Polars; Postgres refuses it
    ("value", "-0", True),
    ("value", "1.7976931348623157e308", True),
    ("value", "0.30000000000000004", True),
    ("value", "3.14159265358979323846264338327950288", True),
]

# (contract, column, the field as the file spells it, whether that batch goes as the file's
# records)
CASES: list[tuple[str, str, str, bool]] = [
    *(("dtks_household", *case) for case in HOUSEHOLD),
    *(("indicator_values", *case) for case in INDICATOR),
]


@pytest.mark.parametrize(("contract", "column", "raw", "forwarded"), CASES)
def test_a_value_is_stored_as_validated(
    engine: Engine, tmp_path: Path, contract: str, column: str, raw: str, forwarded: bool
) -> None:
    lines = _lines(_records(contract), column, raw)
    forwarding, validated = _both(engine, contract, _write(tmp_path / "f.csv", lines))
    assert forwarding == Outcome(validated.errors, validated.rows, int(forwarded))


def _crlf(lines: list[str]) -> list[str]:
    return [line + "\r" for line in lines]


def _blank_line(lines: list[str]) -> list[str]:
    return [*lines[:3], "", *lines[3:]]


def _end_marker(lines: list[str]) -> list[str]:
    return [*lines[:3], "\\.", *lines[3:]]


def _blank_lines_at_end(lines: list[str]) -> list[str]:
    return [*lines, "", " "]


def _byte_order_mark_in_a_record(lines: list[str]) -> list[str]:
    return [lines[0], "\ufeff" + lines[1], *lines[2:]]


@pytest.mark.parametrize(
    "change",
    [_crlf, _blank_line, _end_marker, _blank_lines_at_end, _byte_order_mark_in_a_record],
)
def test_a_file_s_lines_are_stored_as_validated(
    engine: Engine, tmp_path: Path, change: Callable[[list[str]], list[str]]
) -> None:
    lines = change(_lines(_records("dtks_household"), None, ""))
    forwarding, validated = _both(engine, "dtks_household", _write(tmp_path / "l.csv", lines))
    assert (forwarding.errors, forwarding.rows) == (validated.errors, validated.rows)


def test_carriage_returns_and_an_end_marker_in_one_record(engine: Engine, tmp_path: Path) -> None:
    """To Postgres, a bare carriage return ends the first line when no line feed comes
    first, and \\. alone on a line ends the data: a text column last could lose its end."""
    header, first, *_ = _records("dtks_household")
    order = [c for c in header if c != "address"] + ["address"]
    row = dict(zip(header, first, strict=True)) | {"address": "Jl. Mawar\r\\.\rX"}
    lines = [
        ",".join(order),
        ",".join(_field(row[c]) if c != "address" else str(row[c]) for c in order),
    ]
    path = tmp_path / "cr.csv"
    path.write_bytes(("\n".join(lines)).encode())  # no line feed after the record
    forwarding, validated = _both(engine, "dtks_household", path)
    assert forwarding == Outcome(validated.errors, validated.rows, 0)


def test_records_postgres_refuses_are_sent_as_validated_rows(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a spelling Postgres does not know taken for forwardable, the load would still
    store what the validator read, through the text pass."""
    monkeypatch.setattr(loader, "forwardable", lambda *_: True)
    records = _records("dtks_household")
    lines = _lines(records, "has_gas_cylinder", "ya")
    result = load(engine, "dtks_household", _write(tmp_path / "ya.csv", lines))
    assert result.report.ok, result.report.errors
    with engine.connect() as conn:
        stored = conn.scalar(
            text("SELECT has_gas_cylinder FROM ds_dtks_household WHERE hh_id = :id"),
            {"id": records[CHANGED_ROW - 1][0]},
        )
    assert stored is True


def test_many_chunks_go_to_both_parts(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of a record or two: every one forwarded, spread over the parts, and a key
    repeated in two chunks is still found."""
    monkeypatch.setattr(readers, "CSV_CHUNK_BYTES", 256)
    lines = _lines(_records("dtks_household"), None, "")
    forwarding, validated = _both(engine, "dtks_household", _write(tmp_path / "c.csv", lines))
    assert forwarding.errors == validated.errors == []
    assert forwarding.rows == validated.rows
    assert forwarding.forwarded >= 3
    empty(engine)
    repeated = [*lines, lines[1]]  # the first row's key again, in the last chunk
    result = load(engine, "dtks_household", _write(tmp_path / "r.csv", repeated))
    assert [(e.rule, e.count, [x.row for x in e.examples]) for e in result.report.errors] == [
        ("unique", 1, [len(repeated)])
    ]


def test_csv_records_are_copied_as_they_are(engine: Engine) -> None:
    with engine.connect() as conn, conn.begin():
        conn.execute(text("CREATE TEMP TABLE t (n smallint, s text)"))
        records = copy.CsvRecords(("s", "n"), b'"a,""b""",1\n,2\n"",3\n"x\ny",""\n')
        assert copy.copy_csv(conn, "t", records) == 4
        stored = conn.execute(text("SELECT n, s FROM t ORDER BY n NULLS LAST")).all()
    assert [tuple(r) for r in stored] == [(1, 'a,"b"'), (2, None), (3, None), (None, "x\ny")]
