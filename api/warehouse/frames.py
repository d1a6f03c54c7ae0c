"""A release's rows as a Polars frame, streamed out of Postgres with COPY.

COPY ... TO STDOUT in CSV moves a full Susenas release (~345,000 households) in a fraction of
a second; fetching rows through the driver would build a Python tuple per row, ten times
slower.
"""

from __future__ import annotations

import io

import polars as pl
from psycopg import Connection as PsycopgConnection
from sqlalchemy import Connection

from api.ingest.contracts import ColumnType, Contract

_READ_TYPES: dict[ColumnType, type[pl.DataType]] = {
    ColumnType.string: pl.String,
    ColumnType.integer: pl.Int64,
    ColumnType.float: pl.Float64,
    ColumnType.boolean: pl.String,  # Postgres writes t/f; mapped below
    ColumnType.date: pl.Date,
}


def read_release(
    conn: Connection, contract: Contract, release_id: int, columns: list[str] | None = None
) -> pl.DataFrame:
    """The ``columns`` (default: all) of one release, typed as the contract says."""
    columns = columns or contract.column_names
    unknown = [c for c in columns if c not in contract.column_names]
    if unknown:
        raise ValueError(f"{contract.name} has no column {', '.join(unknown)}")
    types = {c: contract.column(c).type for c in columns}
    selected = ", ".join(f'"{c}"' for c in columns)
    # The table and column names come from the contract, the id is an int: nothing to inject.
    statement = (
        f"COPY (SELECT {selected} FROM {contract.table} "  # noqa: S608
        f"WHERE release_id = {int(release_id)}) TO STDOUT WITH (FORMAT csv, HEADER true)"
    )
    raw = conn.connection.driver_connection
    if not isinstance(raw, PsycopgConnection):
        raise TypeError("COPY needs a psycopg 3 connection")
    buffer = io.BytesIO()
    with raw.cursor() as cursor:
        # Whatever the server's defaults: ISO dates, floats that read back exactly.
        cursor.execute("SET LOCAL DateStyle = 'ISO'")
        cursor.execute("SET LOCAL extra_float_digits = 3")
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    frame = pl.read_csv(
        buffer,
        schema={c: _READ_TYPES[t] for c, t in types.items()},
        null_values=[""],
        raise_if_empty=False,
    )
    booleans = [c for c, t in types.items() if t is ColumnType.boolean]
    return frame.with_columns((pl.col(c) == "t").alias(c) for c in booleans) if booleans else frame
