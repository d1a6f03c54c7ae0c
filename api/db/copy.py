"""Bulk writes with COPY: the only way data loads enter the warehouse (row INSERTs are ~10x
slower)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, cast

import polars as pl
from psycopg import Connection as PsycopgConnection
from psycopg import Copy
from sqlalchemy import Connection

# COPY's text format: tab-separated, \N for null, and these characters escaped in text. It
# costs Postgres less to parse than CSV, and Polars less to write (no quoting decisions).
_SPECIAL = ["\\", "\t", "\n", "\r"]
_ESCAPED = ["\\\\", "\\t", "\\n", "\\r"]
# A regular expression matching any of them.
_SPECIAL_CLASS = "[" + "".join(_SPECIAL).replace("\\", "\\\\") + "]"


def copy_frame(conn: Connection, table: str, frame: pl.DataFrame, *, freeze: bool = False) -> int:
    """COPY ``frame`` into ``table`` (columns by name) inside the caller's transaction.

    ``freeze`` writes the rows already frozen, which spares every later reader setting hint
    bits on each page; Postgres allows it only into a table created in this transaction.
    """
    statement = _statement(table, frame.columns, ["FORMAT text"], freeze=freeze)
    with _psycopg(conn).cursor() as cursor, cursor.copy(statement) as copy:
        write_copy_text(frame, copy)
    return frame.height


@dataclass(frozen=True)
class CsvRecords:
    """CSV records as a file holds them (comma-separated, double quotes, no header line).
    An empty cell is null, quoted or not, as Polars reads it."""

    columns: tuple[str, ...]  # the table's columns the fields fill, in the file's order
    data: bytes


def copy_csv(conn: Connection, table: str, records: CsvRecords, *, freeze: bool = False) -> int:
    """COPY CSV records as they are into ``table`` (see :func:`copy_frame`); returns the
    rows Postgres stored."""
    # A quoted empty cell is an empty text to Postgres unless forced to null.
    force_null = f"FORCE_NULL ({_names(records.columns)})"
    statement = _statement(table, records.columns, ["FORMAT csv", force_null], freeze=freeze)
    with _psycopg(conn).cursor() as cursor:
        with cursor.copy(statement) as copy:
            copy.write(records.data)
        return cursor.rowcount


def _psycopg(conn: Connection) -> PsycopgConnection[Any]:
    raw = conn.connection.driver_connection
    if not isinstance(raw, PsycopgConnection):
        raise TypeError("COPY needs a psycopg 3 connection")
    return raw


def _statement(table: str, columns: Sequence[str], options: list[str], *, freeze: bool) -> str:
    with_freeze = [*options, "FREEZE"] if freeze else options
    return f"COPY {table} ({_names(columns)}) FROM STDIN WITH ({', '.join(with_freeze)})"


def _names(columns: Sequence[str]) -> str:
    return ", ".join(f'"{name}"' for name in columns)


def write_copy_text(frame: pl.DataFrame, copy: Copy) -> None:
    """Write ``frame`` into an open COPY in the text format, piece by piece as Polars
    produces it. Collecting the whole batch in a buffer first cost a load of 5 M rows ~0.5 s
    of system time, most of it faulting in the buffer's fresh pages."""
    writer = _CopyWriter(copy)
    try:
        _as_copy_text(frame).write_csv(
            cast("IO[bytes]", writer),  # Polars only writes and flushes
            include_header=False,
            separator="\t",
            quote_style="never",
            null_value="\\N",
        )
    except Exception as exc:
        if writer.failure is not None:  # Polars wraps it; the caller wants psycopg's own
            raise writer.failure from exc
        raise


class _CopyWriter:
    """A file-like object for Polars' CSV writer that hands each piece to the COPY."""

    def __init__(self, copy: Copy) -> None:
        self._copy = copy
        self.failure: Exception | None = None

    def write(self, data: bytes) -> int:
        try:
            self._copy.write(data)
        except Exception as exc:
            self.failure = exc
            raise
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the COPY sends what it is given."""


def _as_copy_text(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as COPY's text format wants it written: booleans as 1/0 (Postgres reads
    them much faster than true/false), and the special characters in text escaped."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    flagged = frame.select(pl.col(texts).str.contains(_SPECIAL_CLASS).any()).row(0) if texts else ()
    escape = [name for name, found in zip(texts, flagged, strict=True) if found]
    return frame.with_columns(
        pl.col(pl.Boolean).cast(pl.UInt8),
        pl.col(escape).str.replace_many(_SPECIAL, _ESCAPED),
    )
