"""A load's parallel COPY streams: parts, their indexes, and what a failed load leaves."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, text

from api.db.copy import CsvRecords
from api.ingest import loader, readers
from api.ingest.contracts import all_contracts
from api.ingest.parts import (
    COPY_STREAMS,
    PartedCopy,
    RecordsNotAsReadError,
    drop_all_orphans,
    lock_dataset,
)
from api.ingest.tables import DATASET_TABLES
from api.warehouse.frames import read_release
from tests.ingest.conftest import active, load, poverty_lines, write_csv


def _children(engine: Engine, table: str) -> list[tuple[str, str]]:
    """(name, relkind) of the tables directly under ``table``."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, c.relkind FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST(:t AS regclass) ORDER BY 1"
            ),
            {"t": table},
        ).all()
    return [(str(name), str(kind)) for name, kind in rows]


def _tables_like(engine: Engine, prefix: str) -> list[str]:
    with engine.connect() as conn:
        names = conn.scalars(
            text("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE :p"),
            {"p": f"{prefix}%"},
        ).all()
    return sorted(str(n) for n in names)


def test_a_release_is_stored_in_one_part_per_stream(engine: Engine, tmp_path: Path) -> None:
    result = load(engine, "poverty_line", write_csv(poverty_lines(6), tmp_path / "p.csv"))
    release = result.release_id
    assert release is not None
    assert _children(engine, "ds_poverty_line") == [(f"ds_poverty_line_r{release}", "p")]
    parts = _children(engine, f"ds_poverty_line_r{release}")
    assert parts == [(f"ds_poverty_line_r{release}_p{k}", "r") for k in range(COPY_STREAMS)]
    with engine.connect() as conn:
        per_part = dict(
            conn.execute(
                text(
                    "SELECT load_part, count(*) FROM ds_poverty_line "
                    "WHERE release_id = :r GROUP BY 1"
                ),
                {"r": release},
            ).all()
        )
        # Attaching adopted each part's own indexes instead of building new ones.
        indexes = conn.scalar(
            text("SELECT count(*) FROM pg_indexes WHERE tablename = :t"),
            {"t": f"ds_poverty_line_r{release}_p0"},
        )
    assert sum(per_part.values()) == 6
    assert set(per_part) <= set(range(COPY_STREAMS))
    assert indexes == 1 + len(DATASET_TABLES["poverty_line"].indexes)
    assert active(engine, "poverty_line") == (release, 6)


def test_a_repeated_key_is_found_whichever_batches_hold_it(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows go to parts by key, so both copies of a key meet in one part's primary key (or
    whole batches go, and their keys' hashes are compared: tests/ingest/test_forwarding.py)."""
    monkeypatch.setattr(loader.readers, "BATCH_ROWS", 2)
    frame = pl.concat([poverty_lines(6), poverty_lines(6).slice(4, 1)])  # row 8 repeats row 6
    result = load(engine, "poverty_line", write_csv(frame, tmp_path / "dup.csv"))
    assert result.release_id is None
    [error] = result.report.errors
    assert (error.rule, error.count, error.examples[0].row) == ("unique", 1, 8)
    assert _tables_like(engine, "ds_poverty_line_r") == []


def test_text_with_copy_format_characters_arrives_unchanged(engine: Engine, tmp_path: Path) -> None:
    notes = ["tab\there", "back\\slash", "line\nbreak", "\\N", "cr\rhere", None]
    frame = poverty_lines(6).with_columns(pl.Series("note", notes))
    result = load(engine, "poverty_line", write_csv(frame, tmp_path / "notes.csv"))
    assert result.report.ok, result.report.errors
    assert result.release_id is not None
    with engine.connect() as conn:
        stored = read_release(conn, all_contracts()["poverty_line"], result.release_id)
    assert stored.sort("kab_code")["note"].to_list() == notes


def test_a_load_that_fails_after_committing_its_parts_leaves_none(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("activation failed")

    monkeypatch.setattr(loader, "_activate", broken)
    with pytest.raises(RuntimeError, match="activation failed"):
        load(engine, "poverty_line", write_csv(poverty_lines(), tmp_path / "p.csv"))
    assert _tables_like(engine, "ds_poverty_line_r") == []
    assert active(engine, "poverty_line") is None


def _orphan(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f'CREATE TABLE "{name}" (LIKE ds_poverty_line)'))


def test_orphaned_parts_are_dropped_by_the_next_load_and_at_start(
    engine: Engine, tmp_path: Path
) -> None:
    _orphan(engine, "ds_poverty_line_r990_p0")
    _orphan(engine, "ds_poverty_line_r990_p1")
    result = load(engine, "poverty_line", write_csv(poverty_lines(), tmp_path / "p.csv"))
    release = result.release_id
    assert _tables_like(engine, "ds_poverty_line_r") == sorted(
        [f"ds_poverty_line_r{release}", *(f"ds_poverty_line_r{release}_p{k}" for k in (0, 1))]
    )
    _orphan(engine, "ds_poverty_line_r991_p0")
    _orphan(engine, "ds_pdrb_r992")
    assert drop_all_orphans(engine) == 2
    assert "ds_poverty_line_r991_p0" not in _tables_like(engine, "ds_poverty_line_r")
    assert active(engine, "poverty_line") == (release, 3)


def test_start_up_leaves_the_parts_of_a_running_load_alone(engine: Engine) -> None:
    _orphan(engine, "ds_poverty_line_r993_p0")
    with engine.connect() as conn, conn.begin():
        assert lock_dataset(conn, all_contracts()["poverty_line"])  # a load is running
        assert drop_all_orphans(engine) == 0
    assert _tables_like(engine, "ds_poverty_line_r993") == ["ds_poverty_line_r993_p0"]
    assert drop_all_orphans(engine) == 1


def test_a_refused_load_drops_orphans_too(engine: Engine, tmp_path: Path) -> None:
    _orphan(engine, "ds_poverty_line_r994_p0")
    bad = poverty_lines().with_columns(pl.lit("9").alias("urban"))
    result = load(engine, "poverty_line", write_csv(bad, tmp_path / "bad.csv"))
    assert result.release_id is None
    assert _tables_like(engine, "ds_poverty_line_r") == []


def test_a_failed_checksum_fails_the_load_and_leaves_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checksum is computed alongside the load; its failure is the load's failure."""
    baseline = load(engine, "poverty_line", write_csv(poverty_lines(3), tmp_path / "a.csv"))

    def unreadable(*args: object) -> None:
        raise OSError("the disk went away")

    monkeypatch.setattr(readers, "checksum", unreadable)
    with pytest.raises(OSError, match="the disk went away"):
        load(engine, "poverty_line", write_csv(poverty_lines(5), tmp_path / "b.csv"))
    assert active(engine, "poverty_line") == (baseline.release_id, 3)
    assert _tables_like(engine, "ds_poverty_line_r") == sorted(
        [
            f"ds_poverty_line_r{baseline.release_id}",
            *(f"ds_poverty_line_r{baseline.release_id}_p{k}" for k in range(COPY_STREAMS)),
        ]
    )


@pytest.mark.parametrize(
    "data",
    [
        b"3301,1,2024,500000\n\\.\n3302,1,2024,500001\n",  # the end of a COPY, to Postgres
        b"3301,1,2024,500000\n3302,1,x,500001\n",  # not a number, to Postgres
    ],
)
def test_records_postgres_reads_otherwise_are_not_loaded(engine: Engine, data: bytes) -> None:
    """What Postgres stores from a file's records must be the rows the file's reader read:
    two rows here."""
    contract = all_contracts()["poverty_line"]
    rows = poverty_lines(2).with_columns(pl.col("urban", "year").cast(pl.Int64))
    records = CsvRecords(("kab_code", "urban", "year", "poverty_line"), data)
    with PartedCopy(engine, contract, 10**9, by_batch=True) as copier:
        copier.submit(rows, records)
        with pytest.raises(RecordsNotAsReadError):
            copier.finish()
    assert _tables_like(engine, "ds_poverty_line_r") == []
