"""Health, and the OpenAPI document kept in sync with the app."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from sqlalchemy.engine import URL

from api.app import create_app
from api.db.engine import Database
from api.db.migrate import check, upgrade
from api.openapi import openapi_yaml
from tests.conftest import LiveServer


def test_health_reports_database_and_migrations(client: httpx.Client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["migrations_up_to_date"] is True
    assert body["migration_current"] == body["migration_head"]


def _health_of(db: Database) -> httpx.Response:
    """GET /health from an app of its own on ``db``."""
    server = LiveServer(db)
    server.start()
    try:
        return httpx.get(server.base_url + "/api/v1/health")
    finally:
        server.stop()
        db.engine.dispose()


def test_health_is_503_when_migrations_are_behind(fresh_database_url: URL) -> None:
    db = Database(fresh_database_url, pool_size=1)
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'old'")
    response = _health_of(db)
    assert response.status_code == 503
    assert response.json()["code"] == "migrations_pending"


def test_health_is_503_when_the_database_is_gone() -> None:
    response = _health_of(
        Database(URL.create("postgresql+psycopg", host="127.0.0.1", port=1, database="x"))
    )
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def test_committed_openapi_equals_what_the_app_serves(
    live_server: LiveServer, repo_root: Path
) -> None:
    committed = (repo_root / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == openapi_yaml(), "run `sepakat export-openapi -o openapi.yaml`"
    served = httpx.get(live_server.base_url + "/openapi.json").json()
    assert yaml.safe_load(committed) == served == create_app().openapi()


def test_models_and_migrations_agree(fresh_database_url: URL) -> None:
    """`alembic check`: autogenerate finds nothing to add on a migrated database."""
    db = Database(fresh_database_url, pool_size=1)
    upgrade(db.engine)
    check(db.engine)
    db.engine.dispose()
