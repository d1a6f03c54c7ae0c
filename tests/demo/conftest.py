"""Demo-data tests: one generated ``tiny`` folder and one database for the whole package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL

from api.demo.generate import generate
from api.demo.load import EntryResult, load_folder
from api.demo.manifest import Manifest
from api.demo.scales import SCALES, ScaleName
from tests.conftest import Cluster

SEED = 20240301


@pytest.fixture(scope="session")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo_tiny")
    generate(folder, SCALES[ScaleName.tiny], SEED)
    return folder


@pytest.fixture(scope="session")
def tiny_manifest(tiny_folder: Path) -> Manifest:
    return Manifest.read(tiny_folder)


@pytest.fixture(scope="session")
def demo_engine(cluster: Cluster, template_url: URL) -> Iterator[Engine]:
    name = "sepakat_demo"
    url = cluster.create_database(name, template="sepakat_template")
    engine = create_engine(url)
    yield engine
    engine.dispose()
    cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def loaded(demo_engine: Engine, tiny_folder: Path) -> list[EntryResult]:
    """The tiny folder loaded once, for every test of the package."""
    return load_folder(demo_engine, tiny_folder)
