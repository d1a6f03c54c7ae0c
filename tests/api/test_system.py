"""Health, and the OpenAPI document kept in sync with the app."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from sqlalchemy import text
from sqlalchemy.engine import URL

from api.app import create_app
from api.db.engine import Database
from api.db.migrate import check, downgrade, upgrade
from api.openapi import openapi_yaml
from tests.conftest import Cluster, LiveServer


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


def test_partitioning_migration_keeps_every_release(cluster: Cluster) -> None:
    """0003 moves each existing release's rows into a partition of its own, and back."""
    url = cluster.create_database("sepakat_migration_0003")
    db = Database(url, pool_size=1)
    try:
        upgrade(db.engine, "0002")
        with db.engine.begin() as conn:
            for release in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO dataset_release (id, contract, contract_version, label, "
                        "status, row_count, checksum, file_name, file_format, file_bytes, "
                        "loaded_by) VALUES (:id, 'poverty_line', 1, 'x', 'superseded', 2, "
                        ":sum, 'f.csv', 'csv', 1, 'test')"
                    ),
                    {"id": release, "sum": str(release) * 64},
                )
                conn.execute(
                    text(
                        "INSERT INTO ds_poverty_line (release_id, kab_code, urban, year, "
                        "poverty_line) VALUES (:r, '3301', 1, 2024, :v), (:r, '3302', 1, 2024, :v)"
                    ),
                    {"r": release, "v": 500_000.0 + release},
                )
        before = _rows(db, "ds_poverty_line")
        upgrade(db.engine, "0003")
        assert _rows(db, "ds_poverty_line") == before
        with db.engine.connect() as conn:
            partitions = conn.scalars(
                text(
                    "SELECT inhrelid::regclass::text FROM pg_inherits "
                    "WHERE inhparent = 'ds_poverty_line'::regclass ORDER BY 1"
                )
            ).all()
        assert partitions == ["ds_poverty_line_r1", "ds_poverty_line_r2"]
        downgrade(db.engine, "0002")
        assert _rows(db, "ds_poverty_line") == before
    finally:
        db.engine.dispose()
        cluster.execute('DROP DATABASE "sepakat_migration_0003" WITH (FORCE)')


def _rows(db: Database, table_or_query: str) -> list[tuple[object, ...]]:
    query = (
        table_or_query
        if table_or_query.startswith("SELECT")
        else f"SELECT * FROM {table_or_query} ORDER BY 1, 2"
    )
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(query))]


def test_load_parts_migration_keeps_every_release(fresh_database_url: URL, tmp_path: Path) -> None:
    """0006 down flattens a release stored in parts into one table, and up again."""
    db = Database(fresh_database_url, pool_size=1)
    try:
        release = _load_two_lines(db, tmp_path)
        columns = "release_id, kab_code, urban, year, poverty_line"
        query = f"SELECT {columns} FROM ds_poverty_line ORDER BY 2"
        before = _rows(db, query)
        assert len(before) == 2
        downgrade(db.engine, "0005")
        assert _rows(db, query) == before
        assert _rows(db, _KINDS) == [(f"ds_poverty_line_r{release}", "r")]
        upgrade(db.engine)
        assert _rows(db, query) == before
        check(db.engine)
    finally:
        db.engine.dispose()


def _load_two_lines(db: Database, tmp_path: Path) -> int:
    """Load a release of two poverty lines; its id."""
    from api.ingest.contracts import all_contracts
    from api.ingest.loader import LoadRequest, load_file

    path = tmp_path / "lines.csv"
    path.write_text("kab_code,urban,year,poverty_line\n3301,1,2024,500000\n3302,2,2024,510000\n")
    request = LoadRequest(all_contracts()["poverty_line"], path, "two lines", "test")
    release = load_file(db.engine, request).release_id
    assert release is not None
    return release


_KINDS = (
    "SELECT c.relname, c.relkind FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'ds_poverty_line'::regclass"
)


def test_narrow_integers_migration_retypes_every_part(
    fresh_database_url: URL, tmp_path: Path
) -> None:
    """0007 narrows bounded integer columns on the dataset table, its release partitions and
    their parts, keeping the rows; down widens them again."""
    db = Database(fresh_database_url, pool_size=1)
    try:
        release = _load_two_lines(db, tmp_path)
        partition = f"ds_poverty_line_r{release}"
        tables = ["ds_poverty_line", partition, f"{partition}_p0"]
        query = "SELECT release_id, kab_code, urban, year FROM ds_poverty_line ORDER BY 2"
        before = _rows(db, query)
        assert _types(db, tables) == {(t, c, "smallint") for t in tables for c in ("urban", "year")}
        downgrade(db.engine, "0006")
        assert _types(db, tables) == {(t, c, "bigint") for t in tables for c in ("urban", "year")}
        assert _rows(db, query) == before
        upgrade(db.engine)
        assert _types(db, tables) == {(t, c, "smallint") for t in tables for c in ("urban", "year")}
        assert _rows(db, query) == before
    finally:
        db.engine.dispose()


def _types(db: Database, tables: list[str]) -> set[tuple[str, str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ANY(:t) AND column_name IN ('urban', 'year')"
            ),
            {"t": tables},
        ).all()
    return {(str(t), str(c), str(d)) for t, c, d in rows}
