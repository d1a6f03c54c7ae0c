"""The `sepakat` command line, run as a user would: a real process against real Postgres."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy.engine import URL

from tests.conftest import _free_port

SEPAKAT = [sys.executable, "-m", "api.cli"]


def _secret(token: str) -> str:
    return token.split("_", 2)[2]


def _env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = url.render_as_string(hide_password=False)
    return env


def run(url: URL, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*SEPAKAT, *args], env=_env(url), check=False, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"sepakat {' '.join(args)} failed:\n{result.stderr}")
    return result


def test_help_everywhere() -> None:
    for args in ([], ["keys", "create"], ["serve"]):
        result = subprocess.run(
            [*SEPAKAT, *args, "--help"], check=False, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, args
        assert "Usage" in result.stdout


def test_export_openapi_writes_the_committed_document(tmp_path: Path, repo_root: Path) -> None:
    target = tmp_path / "openapi.yaml"
    result = subprocess.run(
        [*SEPAKAT, "export-openapi", "--output", str(target)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": "x"},
    )
    assert result.returncode == 0, result.stderr
    assert target.read_text() == (repo_root / "openapi.yaml").read_text()
    assert yaml.safe_load(target.read_text())["info"]["title"] == "SEPAKAT API"


def test_keys_create_list_revoke(fresh_database_url: URL) -> None:
    created = run(
        fresh_database_url,
        "keys",
        "create",
        "Bappeda Jateng",
        "--role",
        "regional",
        "--region",
        "33",
    )
    token = created.stdout.strip()
    assert re.fullmatch(r"sepakat_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    key_id = token.split("_")[1]

    listed = run(fresh_database_url, "keys", "list").stdout
    assert key_id in listed
    assert "regional" in listed
    assert _secret(token) not in listed

    run(fresh_database_url, "keys", "revoke", key_id)
    assert key_id not in run(fresh_database_url, "keys", "list").stdout
    assert key_id in run(fresh_database_url, "keys", "list", "--all").stdout


def test_keys_create_rejects_a_bad_scope(fresh_database_url: URL) -> None:
    result = run(
        fresh_database_url,
        "keys",
        "create",
        "x",
        "--role",
        "regional",
        "--region",
        "99.99",
        check=False,
    )
    assert result.returncode == 2
    assert "99.99" in result.stdout + result.stderr


def _start_serve(url: URL, *extra: str) -> tuple[str, subprocess.Popen[str]]:
    """`sepakat serve` on a free port against ``url``, once its health answers 200."""
    port = _free_port()
    process = subprocess.Popen(
        [*SEPAKAT, "serve", "--port", str(port), "--no-demo", *extra],
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/v1/health").status_code == 200:
                return base, process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("server did not start")


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output


@pytest.fixture
def served(fresh_database_url: URL) -> Iterator[tuple[str, subprocess.Popen[str], URL]]:
    base, process = _start_serve(fresh_database_url)
    yield base, process, fresh_database_url
    _stop(process)


def test_serve_with_several_workers(fresh_database_url: URL) -> None:
    base, process = _start_serve(fresh_database_url, "--workers", "2")
    try:
        body = httpx.get(base + "/api/v1/regions/3326").json()
        assert body["name"] == "Kabupaten Pekalongan"
    finally:
        output = _stop(process)
    assert "Started parent process" in output


def test_serve_uses_database_url_prints_docs_url_and_never_logs_keys(
    served: tuple[str, subprocess.Popen[str], URL],
) -> None:
    base, process, url = served
    token = run(url, "keys", "create", "script", "--role", "analyst").stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(base + "/api/v1/me", headers=headers).json()["role"] == "analyst"
    httpx.get(base + "/api/v1/me", headers={"X-API-Key": token + "x"})
    httpx.get(base + "/api/v1/regions/33.26")
    output = _stop(process)
    assert f"{base.replace('127.0.0.1', 'localhost')}/docs" in output
    assert "GET /api/v1/me" in output  # access log is on...
    assert _secret(token) not in output  # ...and the secret is not in it
    assert "DATABASE_URL" in output
