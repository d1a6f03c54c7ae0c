"""Warehouse tables derived from the contracts: one per dataset, a partition per release.

Each row carries its ``release_id``; readers join to the active release. The table is
partitioned by release: a load COPYs into a fresh table of its own with no index, builds the
indexes once at the end and attaches it, which costs Postgres far less than keeping indexes
and a per-row foreign-key check current during the COPY. The partition's CHECK on
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
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.schema import SchemaItem
from sqlalchemy.types import TypeEngine

from api.db.models.base import Base
from api.ingest.contracts import ColumnType, Contract, all_contracts

SQL_TYPES: dict[ColumnType, type[TypeEngine[Any]]] = {
    ColumnType.string: Text,
    ColumnType.integer: BigInteger,
    ColumnType.float: Float,
    ColumnType.boolean: Boolean,
    ColumnType.date: Date,
}


def build_table(contract: Contract) -> Table:
    columns: list[SchemaItem] = [
        Column("release_id", BigInteger, nullable=False),
        *(Column(c.name, SQL_TYPES[c.type](), nullable=not c.required) for c in contract.columns),
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
        PrimaryKeyConstraint("release_id", *contract.primary_key),
        *region_indexes,
        postgresql_partition_by="LIST (release_id)",
    )


PARTITION_PATTERN = re.compile(r"^ds_\w+_r\d+$")


def release_partition(table: str, release_id: int) -> str:
    """The name of the table holding one release's rows."""
    return f"{table}_r{int(release_id)}"


DATASET_TABLES: dict[str, Table] = {
    name: build_table(contract) for name, contract in all_contracts().items()
}
