"""Each rule refuses a bad file with the rule and the row, and changes nothing."""

from __future__ import annotations

import hashlib
import io
import threading
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from sqlalchemy import Engine, text

from api.ingest import loader, readers
from api.ingest.contracts import all_contracts
from api.ingest.loader import LoadRequest, activate_release, load_file
from api.ingest.report import IngestError, Report
from tests.ingest.conftest import active, load, poverty_lines, write_csv
from tests.ingest.test_contract_samples import SAMPLES


def _only_error(report: Report) -> tuple[str, str | None, list[int | None]]:
    assert not report.ok
    assert len(report.errors) == 1, report.errors
    error = report.errors[0]
    return error.rule, error.column, [e.row for e in error.examples]


@pytest.fixture
def baseline(engine: Engine, tmp_path: Path) -> tuple[int, int]:
    """An earlier good release that every refusal must leave active and intact."""
    result = load(engine, "poverty_line", write_csv(poverty_lines(3), tmp_path / "base.csv"))
    assert result.report.ok, result.report
    state = active(engine, "poverty_line")
    assert state == (result.release_id, 3)
    return state


def test_valid_file_becomes_the_active_release(engine: Engine, tmp_path: Path) -> None:
    result = load(engine, "poverty_line", write_csv(poverty_lines(5), tmp_path / "gk.csv"))
    assert result.report.ok
    assert result.report.rows_read == 5
    assert active(engine, "poverty_line") == (result.release_id, 5)


def _refusal(engine: Engine, path: Path, label: str = "test") -> IngestError:
    """The error a load of ``path`` as poverty lines is refused with."""
    with pytest.raises(IngestError) as raised:
        load(engine, "poverty_line", path, label=label)
    return raised.value


def _bad(frame: pl.DataFrame, column: str, row: int, value: str) -> pl.DataFrame:
    """``frame`` with ``value`` in ``column`` at spreadsheet row ``row`` (header = 1)."""
    index = row - 2
    return frame.with_columns(
        pl.when(pl.int_range(pl.len()) == index)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    )


@pytest.mark.parametrize(
    ("column", "row", "value", "rule"),
    [
        ("year", 3, "20x4", "type"),
        ("poverty_line", 3, "NaN", "type"),
        ("poverty_line", 5, "inf", "type"),
        ("poverty_line", 4, "0", "min"),
        ("year", 2, "2200", "max"),
        ("urban", 5, "3", "code"),
        ("kab_code", 6, "3399", "region"),  # no kab/kota 3399 in Jawa Tengah
        ("kab_code", 3, "", "required"),
        ("kab_code", 4, "33", "pattern"),
    ],
)
def test_a_broken_rule_names_rule_column_and_row(
    engine: Engine,
    tmp_path: Path,
    baseline: tuple[int, int],
    column: str,
    row: int,
    value: str,
    rule: str,
) -> None:
    bad = _bad(poverty_lines(6), column, row, value)
    result = load(engine, "poverty_line", write_csv(bad, tmp_path / "bad.csv"))
    found_rule, found_column, rows = _only_error(result.report)
    assert (found_rule, found_column) == (rule, column)
    assert rows == [row]
    assert result.report.errors[0].examples[0].value in (value, None)
    assert active(engine, "poverty_line") == baseline


def test_missing_required_column(engine: Engine, tmp_path: Path, baseline: tuple[int, int]) -> None:
    path = write_csv(poverty_lines(3).drop("poverty_line"), tmp_path / "nogk.csv")
    rule, column, rows = _only_error(load(engine, "poverty_line", path).report)
    assert (rule, column, rows) == ("missing_column", "poverty_line", [1])
    assert active(engine, "poverty_line") == baseline


def test_duplicate_key_names_the_second_row(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    frame = pl.concat([poverty_lines(3), poverty_lines(1)])
    rule, column, rows = _only_error(
        load(engine, "poverty_line", write_csv(frame, tmp_path / "dup.csv")).report
    )
    assert (rule, column, rows) == ("unique", "kab_code, urban, year", [5])
    assert active(engine, "poverty_line") == baseline


def test_every_broken_rule_is_counted(engine: Engine, tmp_path: Path) -> None:
    frame = poverty_lines(6).with_columns(pl.lit("0").alias("poverty_line"))
    report = load(engine, "poverty_line", write_csv(frame, tmp_path / "zero.csv")).report
    assert report.errors[0].count == 6
    assert [e.row for e in report.errors[0].examples] == [2, 3, 4, 5, 6, 7]


def test_source_column_names_are_mapped(engine: Engine, tmp_path: Path) -> None:
    frame = poverty_lines(2).rename(
        {"kab_code": "KODE_BPS", "poverty_line": "gk", "year": "tahun", "urban": "r105"}
    )
    frame = frame.with_columns(pl.lit("x").alias("keterangan_lain"))
    report = load(engine, "poverty_line", write_csv(frame, tmp_path / "bps.csv")).report
    assert report.ok, report
    assert report.warnings == ["column keterangan_lain is not in the contract and was not loaded"]


def test_person_without_household_is_refused(engine: Engine, tmp_path: Path) -> None:
    households = pl.DataFrame(
        {
            "hh_id": ["H1", "H2"],
            "prov_code": ["33", "33"],
            "kab_code": ["3301", "3302"],
            "urban": ["1", "2"],
            "strata": ["S1", "S1"],
            "psu": ["P1", "P2"],
            "weight": ["120.5", "99"],
            "hh_size": ["3", "1"],
            "exp_per_capita": ["650000", "1e6"],
        }
    )
    assert load(engine, "susenas_household", write_csv(households, tmp_path / "hh.csv")).report.ok
    persons = pl.DataFrame(
        {
            "hh_id": ["H1", "H1", "H9"],
            "person_no": ["1", "2", "1"],
            "age": ["40", "12", "30"],
            "sex": ["1", "2", "1"],
            "relation_to_head": ["1", "3", "1"],
        }
    )
    report = load(engine, "susenas_person", write_csv(persons, tmp_path / "p.csv")).report
    rule, column, rows = _only_error(report)
    assert (rule, column, rows) == ("reference", "hh_id", [4])
    assert active(engine, "susenas_person") is None


def test_empty_files(engine: Engine, tmp_path: Path, baseline: tuple[int, int]) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = _refusal(engine, empty)
    assert refused.rule == "empty_file"
    header_only = tmp_path / "header.csv"
    header_only.write_text("kab_code,urban,year,poverty_line\n")
    refused = _refusal(engine, header_only)
    assert refused.rule == "empty_file"
    blank_lines = tmp_path / "blank.csv"
    blank_lines.write_bytes(b"\n\n\r\n")
    refused = _refusal(engine, blank_lines)
    assert (refused.rule, refused.message) == ("empty_file", "blank.csv has no header line.")
    assert active(engine, "poverty_line") == baseline


@pytest.mark.parametrize("first_line", ["", ",,,"])
def test_a_file_without_column_names_on_its_first_line_is_refused(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int], first_line: str
) -> None:
    path = tmp_path / "late.csv"
    path.write_text(f"{first_line}\nkab_code,urban,year,poverty_line\n3301,1,2024,500000\n")
    refused = _refusal(engine, path)
    assert refused.rule == "no_header"
    assert refused.message.startswith("late.csv names no column on its first line")
    assert active(engine, "poverty_line") == baseline


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_repeated_column_is_refused(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int], suffix: str
) -> None:
    """Two columns of one name: which one holds the values? The file says nothing more."""
    rows = [
        ["kab_code", "urban", "year", "poverty_line", "Year "],
        ["3301", "1", "2024", "5e5", "2023"],
    ]
    path = tmp_path / f"twice{suffix}"
    if suffix == ".csv":
        path.write_text("".join(",".join(row) + "\n" for row in rows))
    else:
        with xlsxwriter.Workbook(path) as book:
            sheet = book.add_worksheet()
            for number, row in enumerate(rows):
                sheet.write_row(number, 0, row)
    report = load(engine, "poverty_line", path).report
    assert _only_error(report) == ("duplicate_column", "Year ", [1])
    assert active(engine, "poverty_line") == baseline


def test_repeated_and_unnamed_columns_outside_the_contract_are_left_out(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "extra.csv"
    path.write_text(
        "kab_code,lain,urban,year,poverty_line,lain,,\n"
        "3301,a,1,2024,500000,b,,\n"
        "3302,c,1,2024,500001,d,x,\n"
    )
    result = load(engine, "poverty_line", path)
    assert result.report.ok, result.report
    assert result.report.warnings == [
        f"column {name} is not in the contract and was not loaded"
        for name in ("lain", "lain", "without a name", "without a name")
    ]
    assert active(engine, "poverty_line") == (result.release_id, 2)


def test_a_panic_in_the_csv_reader_is_an_unreadable_file(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, baseline: tuple[int, int]
) -> None:
    """Polars panics on some inputs it does not expect (a bug of its own): the user gets a
    file that cannot be read, not a failed load."""
    path = write_csv(poverty_lines(2), tmp_path / "gk.csv")
    read_csv = pl.read_csv

    def panicking(source: object, **options: object) -> pl.DataFrame:
        if "schema" in options:  # the records, in both passes; not the header
            raise pl.exceptions.PanicException("index out of bounds")
        return read_csv(source, **options)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(readers.pl, "read_csv", panicking)
    refused = _refusal(engine, path)
    assert refused.rule == "unreadable_file"
    assert "gk.csv is not a readable CSV (in the rows from row 2 on)" in refused.message
    assert active(engine, "poverty_line") == baseline


def test_file_that_is_not_what_its_extension_says(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    parquet_named_csv = tmp_path / "really_parquet.csv"
    poverty_lines(2).write_parquet(parquet_named_csv)
    text_named_parquet = tmp_path / "really_text.parquet"
    write_csv(poverty_lines(2), text_named_parquet)
    for path in (parquet_named_csv, text_named_parquet):
        refused = _refusal(engine, path)
        assert refused.rule == "format_mismatch"
        assert path.name in refused.message
    assert active(engine, "poverty_line") == baseline


def test_a_damaged_parquet_or_xlsx_is_refused_as_unreadable(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    whole = tmp_path / "whole.parquet"
    poverty_lines(2).write_parquet(whole)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(whole.read_bytes()[:-40])  # its footer lost, as in an interrupted copy
    xlsx = tmp_path / "cut.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    for path in (cut, xlsx):
        refused = _refusal(engine, path)
        assert refused.rule == "unreadable_file"
        assert path.name in refused.message
    assert active(engine, "poverty_line") == baseline


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_parquet_and_xlsx_load(engine: Engine, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"gk.{fmt}"
    frame = poverty_lines(4)
    if fmt == "parquet":
        frame.with_columns(pl.col("year").cast(pl.Int32)).write_parquet(path)
    else:
        frame.write_excel(path)
    result = load(engine, "poverty_line", path)
    assert result.report.ok, result.report
    assert active(engine, "poverty_line") == (result.release_id, 4)


def test_xlsx_rows_are_numbered_like_the_spreadsheet(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    _bad(poverty_lines(4), "urban", 4, "9").write_excel(path)
    rule, _, rows = _only_error(load(engine, "poverty_line", path).report)
    assert (rule, rows) == ("code", [4])


def test_identical_file_is_refused_politely(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    refused = _refusal(engine, tmp_path / "base.csv", label="again")
    assert refused.rule == "duplicate_file"
    assert refused.status == 409
    assert f"release {baseline[0]}" in refused.message


def test_a_release_keeps_its_files_checksum(engine: Engine, tmp_path: Path) -> None:
    """The checksum is computed alongside the load; the release stores the file's own."""
    path = write_csv(poverty_lines(4), tmp_path / "gk.csv")
    result = load(engine, "poverty_line", path)
    with engine.connect() as conn:
        stored = conn.scalar(
            text("SELECT checksum FROM dataset_release WHERE id = :id"), {"id": result.release_id}
        )
    assert stored == hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_identical_file_is_refused_before_any_work(
    engine: Engine,
    tmp_path: Path,
    baseline: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_work(*args: object) -> int:
        raise AssertionError("the load started copying")

    monkeypatch.setattr(loader, "_copy_batches", no_work)
    refused = _refusal(engine, tmp_path / "base.csv", label="again")
    assert refused.rule == "duplicate_file"


def test_only_a_file_of_a_loaded_size_waits_for_its_checksum(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    contract = all_contracts()["poverty_line"]
    size = (tmp_path / "base.csv").stat().st_size
    with engine.connect() as conn:
        assert loader._same_size_loaded(conn, contract, size)
        assert not loader._same_size_loaded(conn, contract, size + 1)
        assert not loader._same_size_loaded(conn, all_contracts()["pdrb"], size)


def test_a_file_of_the_same_size_is_not_taken_for_the_same_file(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    """Same size makes the load compare checksums first; different bytes still load."""
    base = (tmp_path / "base.csv").read_bytes()
    other = tmp_path / "other.csv"
    other.write_bytes(base.replace(b"500002", b"500009"))
    assert len(other.read_bytes()) == len(base)
    result = load(engine, "poverty_line", other, label="same size")
    assert result.report.ok, result.report
    assert active(engine, "poverty_line") == (result.release_id, 3)


def test_rollback_and_roll_forward(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    newer = load(engine, "poverty_line", write_csv(poverty_lines(5), tmp_path / "v2.csv"))
    assert active(engine, "poverty_line") == (newer.release_id, 5)
    contract = all_contracts()["poverty_line"]
    activate_release(engine, contract, baseline[0])
    assert active(engine, "poverty_line") == baseline
    assert newer.release_id is not None
    activate_release(engine, contract, newer.release_id)
    assert active(engine, "poverty_line") == (newer.release_id, 5)
    with pytest.raises(IngestError) as raised:
        activate_release(engine, contract, 987654)
    assert raised.value.status == 404


def test_a_second_load_of_the_same_dataset_is_refused_while_one_runs(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(poverty_lines(2), tmp_path / "gk.csv")
    with engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT pg_advisory_xact_lock(hashtext('ingest:poverty_line'))"))
        refused = _refusal(engine, path)
    assert refused.rule == "load_in_progress"
    assert refused.status == 409
    assert load(engine, "poverty_line", path).report.ok  # free again


def test_report_csv_lists_rows(engine: Engine, tmp_path: Path) -> None:
    bad = _bad(_bad(poverty_lines(4), "urban", 3, "7"), "year", 5, "x")
    report = load(engine, "poverty_line", write_csv(bad, tmp_path / "bad.csv")).report
    frame = pl.read_csv(io.BytesIO(report.csv_frame().write_csv().encode()))
    assert set(zip(frame["rule"], frame["row"], strict=True)) == {("code", 3), ("type", 5)}


def test_readers_see_the_previous_release_during_a_load(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    copied, finish = threading.Event(), threading.Event()

    def pause_after_copy(rows: int, total: int | None, phase: str) -> None:
        if phase == "activating":  # copied, not yet committed
            copied.set()
            assert finish.wait(30)

    request = LoadRequest(
        contract=all_contracts()["poverty_line"],
        label="new",
        path=write_csv(poverty_lines(6), tmp_path / "new.csv"),
        loaded_by="test",
    )
    worker = threading.Thread(target=load_file, args=(engine, request, pause_after_copy))
    worker.start()
    try:
        assert copied.wait(30)
        # Six rows are copied but not committed: readers still see the earlier release.
        assert active(engine, "poverty_line") == baseline
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM ds_poverty_line")) == 3
    finally:
        finish.set()
        worker.join(30)
    assert active(engine, "poverty_line")[1] == 6  # type: ignore[index]


@pytest.mark.parametrize("contract", ["poverty_line", "dtks_household"])
def test_duplicate_key_across_batches(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, contract: str
) -> None:
    """A key repeating an earlier batch's is found whether keys are kept (a contract with
    unique or reference rules) or read again after the warehouse refuses the COPY."""
    monkeypatch.setattr(readers, "BATCH_ROWS", 2)
    if contract == "poverty_line":
        frame = pl.concat([poverty_lines(3), poverty_lines(1)])
        key = "kab_code, urban, year"
    else:
        sample = pl.read_csv(SAMPLES / "dtks_household.csv", infer_schema=False)
        frame = pl.concat([sample, sample.head(1)])
        key = "hh_id"
    report = load(engine, contract, write_csv(frame, tmp_path / "dup.csv")).report
    rule, column, rows = _only_error(report)
    assert (rule, column, rows) == ("unique", key, [frame.height + 1])
    assert active(engine, contract) is None


def test_a_value_the_warehouse_refuses_mid_copy_changes_nothing(
    engine: Engine, tmp_path: Path, baseline: tuple[int, int]
) -> None:
    """A NUL byte passes every rule but not Postgres; it comes after the bytes the format
    sniffer looks at, so the COPY is what refuses it."""
    notes = ["x" * 9000, "fine", "a\x00b"]
    frame = poverty_lines(3).with_columns(pl.Series("note", notes))
    refused = _refusal(engine, write_csv(frame, tmp_path / "nul.csv"))
    assert refused.rule == "copy_failed"
    assert "0x00" in refused.message
    assert active(engine, "poverty_line") == baseline


@pytest.mark.parametrize("estimate", [2, 6, 9])
def test_progress_has_a_total_from_the_start_and_ends_exact(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, estimate: int
) -> None:
    """A CSV load reports the rows its file is estimated to hold from its first report on,
    never fewer than those done, and the exact count at the end."""
    monkeypatch.setattr(readers, "estimated_csv_rows", lambda path: estimate)
    path = write_csv(poverty_lines(6), tmp_path / "gk.csv")
    reports: list[tuple[int, int | None, str]] = []
    request = LoadRequest(all_contracts()["poverty_line"], path, "test", "test")
    result = load_file(engine, request, lambda *report: reports.append(report))
    assert result.report.ok
    assert reports[0][1] == max(estimate, reports[0][0])
    assert all(total is not None and total >= done for done, total, _ in reports)
    assert reports[-1][:2] == (6, 6)
