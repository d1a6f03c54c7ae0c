"""Reading uploaded files in batches, with spreadsheet row numbers.

CSV and XLSX values arrive as text, so one validator parses and reports them the same way;
Parquet columns keep their own types when the validator can take them as they are (numbers,
booleans, dates), which spares parsing. The format is told by the file's bytes, and a file
whose bytes contradict its extension is refused.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, NamedTuple, Self

import polars as pl

from api.ingest.report import IngestError

BATCH_ROWS = 250_000
# What Polars raises for a file it cannot read. A panic is a bug of Polars' own that some
# input set off: to the user it is a file that cannot be read, not a crash of the load.
_UNREADABLE = (pl.exceptions.PolarsError, pl.exceptions.PanicException)
ROW_COLUMN = "__row"  # the row number a spreadsheet shows: the header is row 1
FIRST_DATA_ROW = 2


class FileFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


EXTENSIONS = {".csv": FileFormat.csv, ".parquet": FileFormat.parquet, ".xlsx": FileFormat.xlsx}


def sniff(path: Path) -> FileFormat:
    """The format the bytes show; refuses files that contradict their extension."""
    declared = EXTENSIONS.get(path.suffix.lower())
    if declared is None:
        raise IngestError(
            "unsupported_format",
            f"{path.name}: unsupported extension '{path.suffix}'; use .csv, .parquet or .xlsx.",
        )
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        raise IngestError("empty_file", f"{path.name} is empty.")
    actual = _format_of(head)
    if actual is not declared:
        shown = actual.value if actual else "neither CSV, Parquet nor XLSX"
        raise IngestError(
            "format_mismatch",
            f"{path.name} is named .{declared.value} but its content is {shown}.",
        )
    return declared


def _format_of(head: bytes) -> FileFormat | None:
    if head.startswith(b"PAR1"):
        return FileFormat.parquet
    if head.startswith(b"PK\x03\x04"):
        return FileFormat.xlsx
    if b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 4:
            return None
    return FileFormat.csv


class ChecksumStoppedError(Exception):
    """The checksum was no longer wanted: the load it was for had ended."""


def checksum(path: Path, stop: threading.Event | None = None) -> str:
    """The sha256 of the file's bytes (an identical file is the same release); ``stop`` ends
    the pass early."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            if stop is not None and stop.is_set():
                raise ChecksumStoppedError(path.name)
            digest.update(chunk)
    return digest.hexdigest()


class BackgroundChecksum:
    """A file's :func:`checksum`, computed in a thread of its own while a load reads the
    file: hashing releases the GIL, so it costs the load next to nothing instead of
    ~0.75 core-s per GB before it starts. A failure fails the load when it needs the
    checksum: at its end, or before any work when a file of the same size was loaded.
    Leaving the ``with`` block stops the pass if it is still running."""

    def __init__(self, path: Path) -> None:
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checksum")
        # Looked up at call time, so the benchmark can time it.
        self._future = self._pool.submit(checksum, path, self._stop)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._pool.shutdown()

    def result(self) -> str:
        """The checksum, waiting for it if need be; raises what the pass raised."""
        return self._future.result()


def parquet_rows(path: Path) -> int:
    """The rows a Parquet file's metadata declares; damaged Parquet is refused."""
    try:
        return int(pl.scan_parquet(path).select(pl.len()).collect().item())
    except _UNREADABLE as exc:
        raise IngestError("unreadable_file", f"{path.name} is not readable Parquet: {exc}") from exc


def header(path: Path, fmt: FileFormat) -> list[str]:
    """The file's column names as it writes them, a repeated name as often as it appears and
    an empty one as "" (a repeated column the contract maps is refused: see map_header)."""
    if fmt is FileFormat.csv:
        return _csv_header(path)
    if fmt is FileFormat.parquet:
        return list(pl.read_parquet_schema(path))
    return _xlsx_header(path)


def _xlsx_header(path: Path) -> list[str]:
    """The first row's names. Read as a row of data: as a header, the XLSX reader renames a
    repeated name (``year``, ``year_1``) and an empty one (``__UNNAMED__5``)."""
    first = _excel(path, first_row_only=True)
    return ["" if name is None else str(name) for name in first.row(0)] if first.height else []


def _csv_header(path: Path) -> list[str]:
    """The first record's names. Parsed as a row of data, not as a header: as a header, Polars
    renames a repeated name, and skips blank lines that the records' reader does not."""
    head = _head(path)
    end = _first_record_end(head)
    if end == len(head) < path.stat().st_size:
        raise IngestError(
            "unreadable_file",
            f"{path.name} is not a readable CSV: its first line does not end within "
            f"{_SAMPLE_BYTES >> 20} MB (a stray double quote?).",
        )
    try:
        first = pl.read_csv(head[:end], has_header=False, infer_schema=False)
    except pl.exceptions.NoDataError:
        first = pl.DataFrame()
    except _UNREADABLE as exc:
        raise IngestError(
            "unreadable_file", f"{path.name} is not a readable CSV: {_first_line(exc)}"
        ) from exc
    names = [name or "" for name in first.row(0)] if first.height else []
    if not any(names):
        if not head.strip():
            raise IngestError("empty_file", f"{path.name} has no header line.")
        raise IngestError(
            "no_header",
            f"{path.name} names no column on its first line, where the column names belong.",
        )
    return names


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _distinct(names: list[str]) -> list[str]:
    """The names, each repeat renamed after its position: the reader needs a name for each
    column (only the first of a repeated name is ever loaded)."""
    seen: set[str] = set()
    distinct = []
    for position, name in enumerate(names, start=1):
        unique = name
        while unique in seen:
            unique = f"{unique} (column {position})"
        seen.add(unique)
        distinct.append(unique)
    return distinct


class TypedReadError(Exception):
    """A CSV value did not parse as the type it was read as: read the file as text instead."""


class Batch(NamedTuple):
    """A batch of rows with ROW_COLUMN and, for CSV, the file's bytes it was read from."""

    frame: pl.DataFrame
    # The batch's records exactly as the file holds them (no header line): the batch is a
    # whole chunk of a CSV file. None for other formats, and for parts of a chunk.
    records: bytes | None = None


def read_batches(
    path: Path,
    fmt: FileFormat,
    batch_rows: int = BATCH_ROWS,
    types: dict[str, pl.DataType] | None = None,
) -> Iterator[pl.DataFrame]:
    """Batches of at most ``batch_rows`` rows with ROW_COLUMN (Int64); see
    :func:`read_sourced`."""
    for batch in read_sourced(path, fmt, batch_rows, types):
        yield batch.frame


def read_sourced(
    path: Path,
    fmt: FileFormat,
    batch_rows: int = BATCH_ROWS,
    types: dict[str, pl.DataType] | None = None,
) -> Iterator[Batch]:
    """Batches of at most ``batch_rows`` rows with ROW_COLUMN (Int64), with the bytes of a
    CSV batch that is a whole chunk.

    ``types`` has CSV columns parsed by the reader as it reads (multi-threaded, and far
    cheaper than text parsed afterwards); a value that does not parse raises TypedReadError.
    """
    if fmt is FileFormat.csv:
        yield from _csv_batches(path, batch_rows, types or {})
        return
    frames = (
        _parquet_frames(path, batch_rows) if fmt is FileFormat.parquet else iter([_read_xlsx(path)])
    )
    offset = FIRST_DATA_ROW
    for frame in frames:
        yield Batch(_numbered(frame, offset))
        offset += frame.height


def _numbered(frame: pl.DataFrame, first_row: int) -> pl.DataFrame:
    return frame.with_row_index(ROW_COLUMN, offset=first_row).with_columns(
        pl.col(ROW_COLUMN).cast(pl.Int64)
    )


def _csv_batches(path: Path, batch_rows: int, types: dict[str, pl.DataType]) -> Iterator[Batch]:
    """The file read a chunk of whole records at a time: memory stays flat however long the
    file is, and Polars parses each chunk on every core."""
    names = _distinct(header(path, FileFormat.csv))
    schema = {name: types.get(name, pl.String()) for name in names}
    # A quoted empty cell is blank, as in the text pass, whatever the column is read as.
    blanks = {name: "" for name, dtype in types.items() if isinstance(dtype, pl.Enum)}
    offset = FIRST_DATA_ROW
    try:
        for chunk in _csv_records(path, _chunk_bytes(path, batch_rows)):
            # The parser leaves each column in one piece per thread's block (17 in 32 MB);
            # joining them costs less than what validating and encoding the pieces costs more.
            frame = _parse_chunk(path, chunk, schema, blanks, offset, typed=bool(types)).rechunk()
            whole = frame.height <= batch_rows
            for start in range(0, frame.height, batch_rows):
                batch = frame.slice(start, batch_rows)
                yield Batch(_numbered(batch, offset), chunk if whole else None)
                offset += batch.height
    except _UnclosedQuoteError as exc:
        raise IngestError(
            "unreadable_file",
            f"{path.name} is not a readable CSV: a quoted value that starts at or after row "
            f"{offset} is never closed (a stray double quote?).",
        ) from exc


def _parse_chunk(
    path: Path,
    chunk: bytes,
    schema: dict[str, pl.DataType],
    blanks: dict[str, str],
    offset: int,
    *,
    typed: bool,
) -> pl.DataFrame:
    try:
        return pl.read_csv(
            chunk,
            has_header=False,
            schema=schema,
            null_values=blanks or None,
            missing_columns="insert",  # a short row's missing cells are empty, as in one read
            raise_if_empty=False,
        )
    except _UNREADABLE as exc:
        if typed:
            raise TypedReadError(str(exc)) from exc
        raise IngestError(
            "unreadable_file",
            f"{path.name} is not a readable CSV (in the rows from row {offset} on): "
            f"{_first_line(exc)}",
        ) from exc


CSV_CHUNK_BYTES = 32 << 20  # ~150,000 rows of a wide registry file
_SAMPLE_BYTES = 1 << 20


def _head(path: Path) -> bytes:
    """The file's first MB."""
    with path.open("rb") as handle:
        return handle.read(_SAMPLE_BYTES)


def _chunk_bytes(path: Path, batch_rows: int) -> int:
    """Chunks of at most CSV_CHUNK_BYTES, and of ~90 % of ``batch_rows`` lines as long as
    those in the file's first MB: a batch that is a whole chunk can go to Postgres as the
    file holds it (api/ingest/forwarding.py), a slice of one cannot."""
    head = _head(path)
    lines = head.count(b"\n")
    if not lines:
        return CSV_CHUNK_BYTES
    return max(1, min(CSV_CHUNK_BYTES, len(head) * batch_rows * 9 // (lines * 10)))


def estimated_csv_rows(path: Path) -> int | None:
    """The data rows a CSV file holds, estimated for progress from its size and the lines of
    its first MB (exact for a smaller file whose values hold no line breaks; None when that
    MB holds none). Counting every line break cost a load ~0.5 core-s per GB, and gave no
    total until the count was done."""
    head, size = _head(path), path.stat().st_size
    lines = head.count(b"\n")
    if len(head) == size:  # the whole file; the header is no data row
        return max(lines + (not head.endswith(b"\n")) - 1, 0)
    return max(round(lines * size / len(head)) - 1, 0) if lines else None


MAX_RECORD_BYTES = 256 << 20  # a "record" this long is an unclosed quote


class _UnclosedQuoteError(Exception):
    pass


def _csv_records(path: Path, size: int) -> Iterator[bytes]:
    """The file's data records (the header skipped) in chunks of about ``size`` bytes, each
    cut after a line break outside quotes, so no record is split across chunks."""
    with path.open("rb") as handle:
        start, end, first = 0, os.fstat(handle.fileno()).st_size, True
        while start < end:
            chunk = _records_at(handle, start, size, end)
            if not chunk:  # the file got shorter while read
                return
            start += len(chunk)
            if first:
                chunk, first = chunk[_first_record_end(chunk) :], False
            if chunk and not chunk.isspace():  # strip() would copy the chunk
                yield chunk


_TAIL_BYTES = 1 << 16


def _records_at(handle: BinaryIO, start: int, size: int, end: int) -> bytes:
    """The whole records in about ``size`` bytes from ``start``. Each byte is read once (the
    last line break is looked for in a short tail first): reading a whole block and cutting
    it would copy it twice, and on this kind of machine a copy costs as much as a scan."""
    while start + size < end:
        tail = min(size, _TAIL_BYTES)
        handle.seek(start + size - tail)
        line_end = handle.read(tail).rfind(b"\n")
        # Up to the tail's last line break; without one (long records), the whole window.
        handle.seek(start)
        data = handle.read(size - tail + line_end + 1 if line_end >= 0 else size)
        cut = _last_record_end(data)
        if cut is not None:
            return data if cut == len(data) else data[:cut]
        if size > MAX_RECORD_BYTES:  # a "record" this long is an unclosed quote
            raise _UnclosedQuoteError
        size *= 2  # one record longer than the window: read on
    handle.seek(start)
    return handle.read()  # the file's end ends its last record


def _first_record_end(data: bytes) -> int:
    """Where the first record ends (after its line break), or the end of ``data``."""
    quotes, start = 0, 0
    end = data.find(b"\n")
    while end >= 0:
        quotes += data.count(b'"', start, end)
        if quotes % 2 == 0:  # the break is outside quotes
            return end + 1
        start, end = end, data.find(b"\n", end + 1)
    return len(data)


def _last_record_end(data: bytes) -> int | None:
    """Where the last complete record of ``data`` ends, if one does. ``data`` starts at a
    record's start, so a line break ends a record when the quotes before it are paired.
    Each byte is counted once, however many breaks sit inside quotes."""
    before = data.count(b'"')
    stop = len(data)
    end = data.rfind(b"\n")
    while end >= 0:
        before -= data.count(b'"', end, stop)
        if before % 2 == 0:
            return end + 1
        stop, end = end, data.rfind(b"\n", 0, end)
    return None


def _parquet_frames(path: Path, batch_rows: int) -> Iterator[pl.DataFrame]:
    """Slices read when asked for, in the file's own types (the validator takes fitting ones
    as they are and reads the rest as text). Polars reads only the row groups a slice needs,
    so memory stays flat however long the file; its reader costs half the CPU of PyArrow's
    batches converted to Polars."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        scan = pl.scan_parquet(path)
        # A date column written from Arrow's date64 is a Parquet date, which Polars reads as a
        # datetime (it follows the Arrow schema kept in the file): read it as the date it is.
        polars_types = scan.collect_schema()
        dates = [
            f.name
            for f in pq.read_schema(path)
            if pa.types.is_date(f.type) and polars_types[f.name] != pl.Date
        ]
        scan = scan.with_columns(pl.col(dates).dt.date())
        for start in range(0, parquet_rows(path), batch_rows):
            yield scan.slice(start, batch_rows).collect()
    except (OSError, ValueError, *_UNREADABLE) as exc:  # pyarrow: ArrowInvalid
        raise IngestError("unreadable_file", f"{path.name} is not readable Parquet: {exc}") from exc


def _read_xlsx(path: Path) -> pl.DataFrame:
    return _excel(path).select(pl.all().cast(pl.String))


def _excel(path: Path, *, first_row_only: bool = False) -> pl.DataFrame:
    """The first sheet, every cell as text (or only its first row, as data, with every
    column); an unreadable workbook is refused."""
    try:
        return pl.read_excel(
            path,
            infer_schema_length=0,
            has_header=not first_row_only,
            read_options={"n_rows": 1} if first_row_only else None,
            drop_empty_cols=not first_row_only,
        )
    except (Exception, pl.exceptions.PanicException) as exc:  # fastexcel has its own errors
        raise IngestError("unreadable_file", f"{path.name} is not a readable XLSX: {exc}") from exc
