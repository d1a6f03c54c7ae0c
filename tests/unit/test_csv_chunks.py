"""CSV files are read a chunk of whole records at a time: the same rows, however cut."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from api.ingest import readers
from api.ingest.contracts import ColumnType
from api.ingest.readers import ROW_COLUMN, FileFormat
from api.ingest.report import IngestError
from api.ingest.validate import CSV_READ_TYPES

CONTENT = (
    "\ufeffid,text,n\r\n"
    '1,"a, quoted\nline break",10\r\n'
    '2,"""quoted"" quotes\n\nand two breaks",20\r\n'
    "3,plain,\r\n"
    '4,"",40\r\n'
    "5,last without a break,50"
)


def _content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int) -> Path:
    """CONTENT in a file, to be read in chunks of about ``chunk_bytes``."""
    path = tmp_path / "f.csv"
    path.write_bytes(CONTENT.encode())
    monkeypatch.setattr(readers, "CSV_CHUNK_BYTES", chunk_bytes)
    return path


@pytest.mark.parametrize("chunk_bytes", [1, 5, 17, 64, 1 << 20])
def test_every_chunk_size_reads_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    path = _content(tmp_path, monkeypatch, chunk_bytes)
    batches = list(readers.read_batches(path, FileFormat.csv, batch_rows=2))
    assert all(1 <= b.height <= 2 for b in batches)
    read = pl.concat(batches)
    expected = pl.read_csv(path, infer_schema=False).with_row_index(ROW_COLUMN, offset=2)
    assert_frame_equal(read, expected.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64)))
    assert read["text"].to_list()[:2] == [
        "a, quoted\nline break",
        '"quoted" quotes\n\nand two breaks',
    ]


@pytest.mark.parametrize("chunk_bytes", [1, 17, 64, 1 << 20])
def test_a_whole_chunk_comes_with_its_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    path = _content(tmp_path, monkeypatch, chunk_bytes)
    batches = list(readers.read_sourced(path, FileFormat.csv))
    records = [b.records for b in batches]
    assert None not in records
    assert b"".join(r for r in records if r is not None) == CONTENT.encode().split(b"\n", 1)[1]
    for batch in batches:  # each batch is the chunk's records read
        assert batch.records is not None
        again = pl.read_csv(batch.records, has_header=False, new_columns=["id", "text", "n"])
        assert batch.frame["id"].cast(pl.Int64).to_list() == again["id"].to_list()


def test_chunks_hold_about_a_batch_of_the_first_lines(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id,text\n" + "".join(f"{i:04d},row\n" for i in range(1000)))
    batches = list(readers.read_sourced(path, FileFormat.csv, batch_rows=100))
    assert sum(b.frame.height for b in batches) == 1000
    assert all(b.records is not None and b.frame.height <= 100 for b in batches)
    assert len(batches) < 20


def test_part_of_a_chunk_comes_without_records(tmp_path: Path) -> None:
    """Lines shorter than those the chunk size was judged by: a chunk holds more than a
    batch, and its slices have no records of their own."""
    path = tmp_path / "f.csv"
    path.write_text("id,text\n" + f"0,{'x' * 200}\n" + "".join(f"{i},y\n" for i in range(1, 9)))
    batches = list(readers.read_sourced(path, FileFormat.csv, batch_rows=2))
    assert sum(b.frame.height for b in batches) == 9
    assert any(b.records is None for b in batches)
    assert all(b.frame.height <= 2 for b in batches)


def test_a_header_alone_has_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("id,text")
    assert list(readers.read_batches(path, FileFormat.csv)) == []


def test_a_typed_column_that_does_not_parse_asks_for_text(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,n\n1,10\n2,ten\n")
    with pytest.raises(readers.TypedReadError):
        list(readers.read_batches(path, FileFormat.csv, types={"n": pl.Int64()}))


@pytest.mark.parametrize("chunk_bytes", [1, 9, 1 << 20])
def test_short_rows_get_empty_cells_wherever_a_chunk_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk_bytes: int
) -> None:
    path = tmp_path / "short.csv"
    path.write_text("id,text,n\n1,a\n2,b,20\n3\n")
    monkeypatch.setattr(readers, "CSV_CHUNK_BYTES", chunk_bytes)
    read = pl.concat(list(readers.read_batches(path, FileFormat.csv)))
    assert read.select("id", "text", "n").rows() == [
        ("1", "a", None),
        ("2", "b", "20"),
        ("3", None, None),
    ]


def test_an_unclosed_quote_is_refused_naming_where_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "stray.csv"
    path.write_text('id,text\n1,ok\n2,"a 12 inch tv\n' + "".join(f"{i},x\n" for i in range(3, 200)))
    monkeypatch.setattr(readers, "CSV_CHUNK_BYTES", 16)
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 256)
    with pytest.raises(IngestError, match=r"starts at or after row 3 is never closed"):
        list(readers.read_batches(path, FileFormat.csv))


def test_a_quoted_empty_yes_no_cell_is_blank_in_the_typed_read(tmp_path: Path) -> None:
    path = tmp_path / "yn.csv"
    path.write_text('id,flag\n"1","1"\n"2",""\n"3","tidak"\n')
    types = {"flag": CSV_READ_TYPES[ColumnType.boolean]}
    read = pl.concat(list(readers.read_batches(path, FileFormat.csv, types=types)))
    assert read["flag"].cast(pl.String).to_list() == ["1", None, "tidak"]


def test_records_longer_than_the_tail_looked_at_are_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window whose tail holds no line break still ends at its last whole record: it must
    not grow until the file reads as one unclosed quote."""
    path = tmp_path / "long.csv"
    path.write_bytes(b"id,text\n" + b"a,xxxxxxxxxxxx\n" * 700)
    monkeypatch.setattr(readers, "CSV_CHUNK_BYTES", 512)
    monkeypatch.setattr(readers, "_TAIL_BYTES", 1)
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 4096)
    chunks = list(readers._csv_records(path, 512))
    assert b"".join(chunks) == b"a,xxxxxxxxxxxx\n" * 700
    assert max(len(c) for c in chunks) <= 512


def test_a_file_cut_short_while_read_ends_the_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes(b"a,b\n1,2\n3,4\n")
    real = readers.os.fstat

    class _Longer:  # the size seen before the file was cut short
        def __init__(self, fd: int) -> None:
            self.st_size = real(fd).st_size + 100

    monkeypatch.setattr(readers.os, "fstat", _Longer)
    assert list(readers._csv_records(path, 1 << 20)) == [b"1,2\n3,4\n"]


def test_checksum_hashes_the_bytes(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 3_000_000)  # several reads of 4 MB
    assert readers.checksum(path) == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("data", "rows"),
    [
        (b"a,b\n1,2\n3,4\n5,6", 3),  # the last row has no line break
        (b"a,b\n1,2\n3,4\n", 2),
        (b"a,b\n", 0),
        (b"a,b", 0),
        (b"", 0),
    ],
)
def test_a_small_csv_files_rows_are_counted(tmp_path: Path, data: bytes, rows: int) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(data)
    assert readers.estimated_csv_rows(path) == rows


def test_a_large_csv_files_rows_are_estimated_from_its_first_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    # A header and 87,381 rows of 12 bytes (1 MB, 1,048,576 bytes), then 43,690 rows twice
    # as long: 2,097,136 bytes, 131,071 rows.
    short, long = b"1234567,890\n", b"1234567890123456,890123\n"
    assert (len(short), len(long)) == (12, 24)
    path.write_bytes(b"a,b\n" + short * 87_381 + long * 43_690)
    # The first MB has 87,382 lines: 2,097,136 bytes of such lines would be 174,762.67, of
    # which one is the header.
    assert readers.estimated_csv_rows(path) == 174_762


def test_no_estimate_when_the_first_mb_holds_no_line_break(tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_bytes(b"a" * (1 << 20) + b",b\n1,2\n")  # a header longer than 1 MB
    assert readers.estimated_csv_rows(path) is None


@pytest.mark.parametrize(
    ("data", "names"),
    [
        (b"a,b\n1,2\n", ["a", "b"]),
        (b"a,a,,\n1,2,3,4\n", ["a", "a", "", ""]),  # as written: repeats and blanks kept
        (b'\xef\xbb\xbf"x,y","line\nbreak"\r\n1,2\r\n', ["x,y", "line\nbreak"]),
        (b" a , b ", [" a ", " b "]),  # no line break at all
    ],
)
def test_the_header_is_the_first_record_as_written(
    tmp_path: Path, data: bytes, names: list[str]
) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(data)
    assert readers.header(path, FileFormat.csv) == names


def test_a_first_line_longer_than_a_mb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b'"' + b"a" * (1 << 20) + b'",b\n1,2\n')
    with pytest.raises(IngestError, match="does not end within 1 MB") as raised:
        readers.header(path, FileFormat.csv)
    assert raised.value.rule == "unreadable_file"
