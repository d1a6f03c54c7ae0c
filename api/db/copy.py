"""Bulk writes with COPY: the only way data loads enter the warehouse (row INSERTs are ~10x
slower)."""

from __future__ import annotations

import io

import polars as pl
from psycopg import Connection as PsycopgConnection
from sqlalchemy import Connection


def copy_frame(conn: Connection, table: str, frame: pl.DataFrame) -> int:
    """COPY ``frame`` into ``table`` (columns by name) inside the caller's transaction."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, PsycopgConnection):
        raise TypeError("COPY needs a psycopg 3 connection")
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="")
    columns = ", ".join(f'"{name}"' for name in frame.columns)
    statement = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '')"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(buffer.getbuffer())  # no second copy of the payload
    return frame.height
