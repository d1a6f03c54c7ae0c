"""The ingestion benchmark still runs against the pipeline it measures.

``bench/ingest_bench.py`` patches the loader's functions by name and builds parts of the
pipeline itself, so a change to the loader can break it without any other test noticing.
Each mode runs once, as the benchmark runs it (a child process), on a small generated file.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.engine import URL

from api.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "bench" / "ingest_bench.py"
ROWS = 2_000


@pytest.fixture(scope="module")
def bench() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("ingest_bench", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def files(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bench")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bench, "DATA_DIR", folder)
        paths = bench.generate(ROWS, seed=7, order="region")
    return {path.suffix.lstrip("."): path for path in paths}


def _child(mode: str, path: Path, url: URL) -> dict[str, object]:
    database = url.render_as_string(hide_password=False)
    command = ["child", "--mode", mode, "--file", str(path), "--url", database]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *command], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    result: dict[str, object] = json.loads(line.removeprefix("RESULT "))
    return result


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [
        ("e2e", "csv"),
        ("e2e", "parquet"),
        ("copy", "csv"),
        ("prepare", "csv"),
        ("validate_mem", "parquet"),
    ],
)
def test_benchmark_mode_runs(
    files: dict[str, Path], fresh_database_url: URL, mode: str, fmt: str
) -> None:
    result = _child(mode, files[fmt], fresh_database_url)
    assert result["rows"] == ROWS
    if mode in ("e2e", "copy"):
        assert result["stored_rows"] == ROWS
