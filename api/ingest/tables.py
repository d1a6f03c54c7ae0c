"""Warehouse tables derived from the contracts: one per dataset, a partition per release.

Each row carries its ``release_id``; readers join to the active release. The table is
partitioned by release, and each release's partition by ``load_part``: a load COPYs through
several connections at once, each into a fresh table of its own created in its own
transaction (so Postgres can skip the WAL for it and freeze its rows), builds that table's
indexes, and the parts are attached at the end. That costs Postgres far less than keeping
indexes and a per-row foreign-key check current during one COPY, and uses every core. Rows are
routed to parts by a hash of their primary key, so a repeated key lands in one part and that
part's primary key finds it; the primary key therefore includes ``load_part`` (Postgres wants
the partition columns in it) and still means "unique per release". The partition's CHECK on
``release_id``, set by the loader in the transaction that inserted the release row, stands in
for a foreign key. Alembic sees the partitioned tables like any model, so a change of columns,
types or keys needs a migration and ``alembic check`` says so (descriptions and rules live
only in the contract); the per-release partitions are not models and Alembic ignores them.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
)
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from api.db.models.base import Base
from api.ingest.contracts import Column as ContractColumn
from api.ingest.contracts import ColumnType, Contract, all_contracts

SQL_TYPES: dict[ColumnType, type[TypeEngine[Any]]] = {
    ColumnType.string: Text,
    ColumnType.integer: BigInteger,
    ColumnType.float: Float,
    ColumnType.boolean: Boolean,
    ColumnType.date: Date,
}

# Postgres' integer types, narrowest first, each with the bound of the values it holds.
_INTEGER_TYPES: tuple[tuple[type[TypeEngine[int]], int], ...] = (
    (SmallInteger, 2**15),
    (Integer, 2**31),
)


def sql_type(column: ContractColumn) -> TypeEngine[Any]:
    """The column's Postgres type. An integer column gets the narrowest type holding every
    value its rules allow: narrower rows cost a load less to COPY and much less to index
    (a 5 M-row DTKS load: 14 codes and counts as smallint instead of bigint make the heap a
    quarter smaller; bench/INGEST_FINDINGS.md, stop 10)."""
    bounds = column.integer_bounds
    if bounds is not None:
        low, high = bounds
        for narrow, bound in _INTEGER_TYPES:
            if -bound <= low and high < bound:
                return narrow()
    return SQL_TYPES[column.type]()


LOAD_PART = "load_part"  # which of a load's parallel COPY streams wrote the row


def build_table(contract: Contract) -> Table:
    columns: list[SchemaItem] = [
        Column("release_id", BigInteger, nullable=False),
        *(Column(c.name, sql_type(c), nullable=not c.required) for c in contract.columns),
        Column(LOAD_PART, SmallInteger, nullable=False, server_default="0"),
    ]
    region_indexes: list[SchemaItem] = [
        Index(f"ix_{contract.table}_{c.name}", "release_id", c.name)
        for c in contract.columns
        if c.region is not None
    ]
    return Table(
        contract.table,
        Base.metadata,
        *columns,
        PrimaryKeyConstraint("release_id", *contract.primary_key, LOAD_PART),
        *region_indexes,
        postgresql_partition_by="LIST (release_id)",
    )


def partition_pattern(table: str = r"ds_\w+") -> str:
    """A regular expression (Python's and Postgres' alike) for the names of ``table``'s
    release partitions and their parts."""
    return rf"^{table}_r\d+(_p\d+)?$"


PARTITION_PATTERN = re.compile(partition_pattern())


def release_partition(table: str, release_id: int) -> str:
    """The name of the table holding one release's rows."""
    return f"{table}_r{int(release_id)}"


def part_table(table: str, release_id: int, part: int) -> str:
    """The name of the table holding the rows one COPY stream of a load wrote."""
    return f"{release_partition(table, release_id)}_p{int(part)}"


DATASET_TABLES: dict[str, Table] = {
    name: build_table(contract) for name, contract in all_contracts().items()
}
