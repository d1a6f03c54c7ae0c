"""CSV files are read a chunk of whole records at a time: the same rows, however cut."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from api.ingest import readers
from api.ingest.readers import ROW_COLUMN, FileFormat

CONTENT = (
    "\ufeffid,text,n\r\n"
    '1,"a, quoted\nline break",10\r\n'
    '2,"""quoted"" quotes\n\nand two breaks",20\r\n'
    "3,plain,\r\n"
    '4,"",40\r\n'
    "5,last without a break,50"
)


@pytest.mark.parametrize("chunk_bytes", [1, 5, 17, 64, 1 << 20])
def test_every_chunk_size_reads_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(CONTENT.encode())
    monkeypatch.setattr(readers, "CSV_CHUNK_BYTES", chunk_bytes)
    batches = list(readers.read_batches(path, FileFormat.csv, batch_rows=2))
    assert all(1 <= b.height <= 2 for b in batches)
    read = pl.concat(batches)
    expected = pl.read_csv(path, infer_schema=False).with_row_index(ROW_COLUMN, offset=2)
    assert_frame_equal(read, expected.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64)))
    assert read["text"].to_list()[:2] == [
        "a, quoted\nline break",
        '"quoted" quotes\n\nand two breaks',
    ]


def test_a_header_alone_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("id,text")
    assert list(readers.read_batches(path, FileFormat.csv)) == []


def test_a_typed_column_that_does_not_parse_asks_for_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,n\n1,10\n2,ten\n")
    with pytest.raises(readers.TypedReadError):
        list(readers.read_batches(path, FileFormat.csv, types={"n": pl.Int64()}))
