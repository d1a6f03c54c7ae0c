"""Ingestion tests: one database for the module, emptied of releases before each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from api.ingest.contracts import all_contracts
from api.ingest.loader import LoadRequest, LoadResult, load_file
from api.ingest.tables import DATASET_TABLES
from tests.conftest import Cluster


@pytest.fixture(scope="module")
def ingest_url(cluster: Cluster, template_url: URL) -> Iterator[URL]:
    name = "sepakat_ingest"
    yield cluster.create_database(name, template="sepakat_template")
    cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(ingest_url: URL) -> Iterator[Engine]:
    eng = create_engine(ingest_url)
    empty(eng)
    yield eng
    eng.dispose()


def empty(eng: Engine) -> None:
    """Drop every release and its rows."""
    with eng.begin() as conn:
        # Dropping the dataset tables' partitions and the releases; the id sequence goes on.
        for table in DATASET_TABLES.values():
            conn.execute(text(f'TRUNCATE "{table.name}"'))
            for (partition,) in conn.execute(
                text(
                    "SELECT inhrelid::regclass::text FROM pg_inherits "
                    "WHERE inhparent = CAST(:t AS regclass)"
                ),
                {"t": table.name},
            ).all():
                conn.execute(text(f"DROP TABLE {partition}"))
        conn.execute(text("TRUNCATE dataset_release, ingest_job"))


def poverty_lines(rows: int = 3) -> pl.DataFrame:
    """A valid poverty_line file: real BPS kab/kota codes of Jawa Tengah."""
    codes = ["3301", "3302", "3303", "3304", "3305", "3306"][:rows]
    return pl.DataFrame(
        {
            "kab_code": codes,
            "urban": ["1"] * rows,
            "year": ["2024"] * rows,
            "poverty_line": [str(500_000 + i) for i in range(rows)],
        }
    )


def write_csv(frame: pl.DataFrame, path: Path) -> Path:
    frame.write_csv(path)
    return path


def load(engine: Engine, contract: str, path: Path, label: str = "test") -> LoadResult:
    request = LoadRequest(
        contract=all_contracts()[contract], path=path, label=label, loaded_by="test"
    )
    return load_file(engine, request)


def active(engine: Engine, contract: str) -> tuple[int, int] | None:
    """(release id, rows visible in its table) of the active release, if any."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, row_count FROM dataset_release "
                "WHERE contract = :c AND status = 'active'"
            ),
            {"c": contract},
        ).first()
        if row is None:
            return None
        stored = conn.scalar(
            text(f"SELECT count(*) FROM ds_{contract} WHERE release_id = :r"),
            {"r": row.id},
        )
    assert stored == row.row_count
    return int(row.id), int(stored)
