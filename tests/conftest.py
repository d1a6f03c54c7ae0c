"""Test fixtures on a real PostgreSQL server.

One embedded server per test session (or ``TEST_DATABASE_URL``). A template database is
migrated and loaded with the reference data once; tests read it through a per-test
transaction that is rolled back, and tests that must commit (the CLI) get their own copy made
from the template.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn
from psycopg.sql import Composed
from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from api.app import create_app
from api.db.embedded import EmbeddedPostgres, create_database_sql
from api.db.engine import Database, normalize_url
from api.db.migrate import upgrade
from api.db.session import get_session
from api.regions import reference
from api.settings import REPO_ROOT

TEMPLATE_DB = "sepakat_template"


class Cluster:
    """The Postgres server of this test session and how to make databases on it."""

    def __init__(self, admin_url: URL, embedded: EmbeddedPostgres | None) -> None:
        self.admin_url = admin_url
        self.embedded = embedded

    def url(self, database: str) -> URL:
        return self.admin_url.set(database=database)

    def execute(self, sql: str | Composed) -> None:
        dsn = self.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> URL:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if template is None:
            self.execute(create_database_sql(name))
        else:
            self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield Cluster(normalize_url(external).set(database="postgres"), None)
        return
    # SEPAKAT_TEST_KEEP_PG=1 keeps the cluster (and its log, pgdata/log) for a post-mortem.
    keep = os.environ.get("SEPAKAT_TEST_KEEP_PG") == "1"
    # Not under pytest's numbered temp dirs: a second pytest session on the machine prunes
    # the older ones, which would delete this cluster's files under its running server.
    pgdata = Path(tempfile.mkdtemp(prefix="sepakat-test-pg-")) / "pgdata"
    pg = EmbeddedPostgres(pgdata, delete_on_stop=not keep)
    yield Cluster(pg.url("postgres"), pg)
    pg.stop()
    if not keep:
        shutil.rmtree(pgdata.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def template_url(cluster: Cluster) -> URL:
    url = cluster.create_database(TEMPLATE_DB)
    engine = create_engine(url)
    upgrade(engine)
    reference.load(engine, REPO_ROOT / "data" / "reference")
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def database(cluster: Cluster, template_url: URL) -> Iterator[Database]:
    db = Database(cluster.create_database("sepakat_test", template=TEMPLATE_DB), pool_size=5)
    yield db
    db.engine.dispose()


@pytest.fixture
def fresh_database_url(cluster: Cluster, template_url: URL) -> Iterator[URL]:
    """A database of its own (migrated, reference data loaded) for tests that commit."""
    name = f"sepakat_{secrets.token_hex(4)}"
    yield cluster.create_database(name, template=TEMPLATE_DB)
    cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def connection(database: Database) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with database.engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
        yield s


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The app served by uvicorn on a loopback port, in a background thread."""

    def __init__(self, database: Database) -> None:
        self.app = create_app(database)
        self.port = _free_port()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(database: Database) -> Iterator[LiveServer]:
    server = LiveServer(database)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def client(live_server: LiveServer, session: Session) -> Iterator[httpx.Client]:
    """HTTP client against the live server; the app's session is the test's, rolled back."""

    def test_session() -> Iterator[Session]:
        yield session
        session.flush()

    live_server.app.dependency_overrides[get_session] = test_session
    with httpx.Client(base_url=live_server.base_url + "/api/v1", timeout=30) as http:
        yield http
    live_server.app.dependency_overrides.clear()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT
