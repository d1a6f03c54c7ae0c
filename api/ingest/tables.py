"""Warehouse tables derived from the contracts: one per dataset, every release in it.

Each row carries its ``release_id``; readers join to the active release. Alembic sees these
tables like any model, so a change of columns, types or keys needs a migration and
``alembic check`` says so (descriptions and rules live only in the contract).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
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
        Column(
            "release_id",
            BigInteger,
            ForeignKey("dataset_release.id", ondelete="CASCADE"),
            nullable=False,
        ),
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
    )


DATASET_TABLES: dict[str, Table] = {
    name: build_table(contract) for name, contract in all_contracts().items()
}
