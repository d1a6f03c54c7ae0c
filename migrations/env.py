"""Alembic environment: runs on a connection handed over by api.db.migrate, or on a URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine

from api.db.models import Base
from api.ingest.tables import PARTITION_PATTERN  # also registers the dataset tables

config = context.config
target_metadata = Base.metadata


def _is_model(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Per-release partitions are made by the loader, not by migrations: not models."""
    del obj, reflected, compare_to
    return not (type_ == "table" and name is not None and PARTITION_PATTERN.match(name))


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_is_model,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("Give the database as `alembic -x url=postgresql+psycopg://...`")
    engine = create_engine(url)
    with engine.connect() as conn:
        run_on(conn)
        conn.commit()


main()
