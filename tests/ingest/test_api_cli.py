"""Loads over HTTP (jobs, reports, releases) and from the CLI, including a killed load."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from api.auth import service
from api.auth.roles import Role
from api.db.engine import Database
from api.ingest import readers
from api.ingest.jobs import mark_interrupted
from api.ingest.parts import drop_all_orphans
from tests.conftest import LiveServer
from tests.ingest.conftest import active, poverty_lines, write_csv


@pytest.fixture(scope="module")
def server(ingest_url: URL) -> Iterator[LiveServer]:
    db = Database(ingest_url, pool_size=4)
    live = LiveServer(db)
    live.start()
    yield live
    live.stop()
    db.engine.dispose()


def _token(engine: Engine, role: Role) -> str:
    with Session(engine) as session:
        created = service.create_key(
            session, name=f"t {role}", role=role, region=None, created_by="test"
        )
        session.commit()
    return created.token


@pytest.fixture
def admin(engine: Engine, server: LiveServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {_token(engine, Role.admin)}"}
    with httpx.Client(base_url=server.base_url + "/api/v1", headers=headers, timeout=60) as c:
        yield c


def _upload(
    client: httpx.Client,
    path: Path,
    *,
    wait: bool,
    contract: str = "poverty_line",
    label: str = "2024",
) -> httpx.Response:
    with path.open("rb") as handle:
        return client.post(
            f"/datasets/{contract}/releases",
            params={"wait": str(wait).lower()},
            data={"label": label},
            files={"file": (path.name, handle, "text/csv")},
        )


def test_upload_and_wait(admin: httpx.Client, engine: Engine, tmp_path: Path) -> None:
    response = _upload(admin, write_csv(poverty_lines(4), tmp_path / "gk.csv"), wait=True)
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "succeeded"
    assert job["report"]["rows_read"] == 4
    assert active(engine, "poverty_line") == (job["release_id"], 4)
    releases = admin.get("/datasets/poverty_line/releases").json()
    assert releases["total"] == 1
    assert releases["items"][0]["checksum"]
    assert releases["items"][0]["loaded_by"].startswith("key:")
    datasets = {d["contract"]: d for d in admin.get("/datasets").json()["items"]}
    assert datasets["poverty_line"]["active_release"]["row_count"] == 4


def test_refused_upload_reports_rows_and_csv(admin: httpx.Client, tmp_path: Path) -> None:
    bad = poverty_lines(3).with_columns(pl.Series("urban", ["1", "5", "1"]))
    response = _upload(admin, write_csv(bad, tmp_path / "bad.csv"), wait=True)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    job = body["details"]["job"]
    assert job["report"]["errors"][0]["examples"][0]["row"] == 3
    csv = admin.get(f"/jobs/{job['id']}/report", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pl.read_csv(io.BytesIO(csv.content))
    assert frame.row(0, named=True)["row"] == 3
    assert frame.row(0, named=True)["rule"] == "code"


def test_a_rejected_job_ends_with_the_rows_it_read(
    admin: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The expected rows, estimated while a CSV is read, are the rows read once it has been
    read to its end, whether the file is loaded or refused."""
    monkeypatch.setattr(readers, "estimated_csv_rows", lambda path: 50)  # the server's thread
    bad = poverty_lines(3).with_columns(pl.Series("urban", ["1", "5", "1"]))
    job = _upload(admin, write_csv(bad, tmp_path / "bad.csv"), wait=True).json()
    job = job["details"]["job"]
    assert (job["phase"], job["rows_read"], job["rows_expected"]) == ("rejected", 3, 3)


def test_identical_upload_is_409(admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(poverty_lines(2), tmp_path / "gk.csv")
    assert _upload(admin, path, wait=True).status_code == 201
    again = _upload(admin, path, wait=True)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_file"


def test_background_job_shows_progress_then_result(admin: httpx.Client, tmp_path: Path) -> None:
    response = _upload(admin, write_csv(poverty_lines(5), tmp_path / "gk.csv"), wait=False)
    assert response.status_code == 202
    job_id = response.json()["id"]
    deadline = time.monotonic() + 30
    job = admin.get(f"/jobs/{job_id}").json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = admin.get(f"/jobs/{job_id}").json()
    assert job["status"] == "succeeded"
    assert job["rows_read"] == job["rows_expected"] == 5


def test_activate_over_http(admin: httpx.Client, engine: Engine, tmp_path: Path) -> None:
    first = _upload(admin, write_csv(poverty_lines(2), tmp_path / "a.csv"), wait=True).json()
    second = _upload(admin, write_csv(poverty_lines(3), tmp_path / "b.csv"), wait=True).json()
    assert active(engine, "poverty_line") == (second["release_id"], 3)
    response = admin.post(f"/datasets/poverty_line/releases/{first['release_id']}/activate")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert active(engine, "poverty_line") == (first["release_id"], 2)
    missing = admin.post("/datasets/poverty_line/releases/999999/activate")
    assert missing.status_code == 404


def test_only_admins_load(engine: Engine, server: LiveServer, tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {_token(engine, Role.analyst)}"}
    with httpx.Client(base_url=server.base_url + "/api/v1", headers=headers) as analyst:
        response = _upload(analyst, write_csv(poverty_lines(2), tmp_path / "gk.csv"), wait=True)
    assert response.status_code == 403


def test_unknown_contract_is_404(admin: httpx.Client, tmp_path: Path) -> None:
    response = _upload(
        admin, write_csv(poverty_lines(2), tmp_path / "gk.csv"), wait=True, contract="nope"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "contract_not_found"


def test_contracts_are_served(server: LiveServer) -> None:
    listed = httpx.get(server.base_url + "/api/v1/contracts").json()["items"]
    assert {c["name"] for c in listed} >= {"susenas_household", "dtks_person", "apbd_line"}
    one = httpx.get(server.base_url + "/api/v1/contracts/dtks_person").json()
    nik = next(c for c in one["columns"] if c["name"] == "nik")
    assert nik["personal"] is True


def _cli(url: URL, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False)}
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_ingest(ingest_url: URL, engine: Engine, tmp_path: Path) -> None:
    bad = poverty_lines(3).with_columns(pl.Series("year", ["2024", "2024", "abc"]))
    refused = _cli(
        ingest_url,
        "ingest",
        "poverty_line",
        str(write_csv(bad, tmp_path / "b.csv")),
        "--release",
        "2024",
    )
    assert refused.returncode == 1
    assert "type" in refused.stdout
    assert "4: 'abc'" in refused.stdout
    assert active(engine, "poverty_line") is None
    good = _cli(
        ingest_url,
        "ingest",
        "poverty_line",
        str(write_csv(poverty_lines(3), tmp_path / "g.csv")),
        "--release",
        "2024",
    )
    assert good.returncode == 0, good.stderr
    assert "Loaded 3 rows" in good.stderr
    assert active(engine, "poverty_line") is not None


def _households(rows: int) -> pl.DataFrame:
    return pl.DataFrame({"n": range(rows)}).select(
        pl.format("H{}", pl.col("n")).alias("hh_id"),
        pl.lit("33").alias("prov_code"),
        pl.lit("3301").alias("kab_code"),
        pl.lit(1).alias("urban"),
        pl.lit("S1").alias("strata"),
        (pl.col("n") // 10).alias("psu"),
        pl.lit(100.5).alias("weight"),
        pl.lit(4).alias("hh_size"),
        pl.lit(750000.0).alias("exp_per_capita"),
    )


def test_a_killed_load_leaves_no_trace(ingest_url: URL, engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    _households(1_500_000).write_csv(path)
    env = {**os.environ, "DATABASE_URL": ingest_url.render_as_string(hide_password=False)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api.cli",
            "ingest",
            "susenas_household",
            str(path),
            "--release",
            "killed",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    copied = 0
    while time.monotonic() < deadline and process.poll() is None:
        with engine.connect() as conn:
            copied = (
                conn.scalar(
                    text(
                        "SELECT coalesce(max(rows_read), 0) FROM ingest_job "
                        "WHERE contract = 'susenas_household' AND status = 'running'"
                    )
                )
                or 0
            )
        if copied >= 500_000:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the load finished before it could be killed"
    assert copied >= 500_000
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    # The server aborts the orphaned transaction when it notices the client is gone.
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while time.monotonic() < deadline and conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'COPY ds_susenas%' "
                "AND pid <> pg_backend_pid()"
            )
        ):
            time.sleep(0.2)
    assert mark_interrupted(engine) == 1  # what the next start does
    drop_all_orphans(engine)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM ds_susenas_household")) == 0
        assert not conn.scalar(
            text("SELECT count(*) FROM pg_class WHERE relname LIKE 'ds_susenas_household_r%'")
        )
        assert (
            conn.scalar(
                text("SELECT count(*) FROM dataset_release WHERE contract = 'susenas_household'")
            )
            == 0
        )
        job = conn.execute(
            text("SELECT status, phase FROM ingest_job WHERE contract = 'susenas_household'")
        ).one()
    assert tuple(job) == ("failed", "interrupted")
    assert active(engine, "susenas_household") is None
