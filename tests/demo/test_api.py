"""The demo warehouse over HTTP: every value says where it comes from."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import polars as pl
import pytest
from sqlalchemy import Engine

from api.db.engine import Database
from api.demo.load import EntryResult
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def api(demo_engine: Engine, loaded: list[EntryResult]) -> Iterator[httpx.Client]:
    assert loaded
    db = Database(demo_engine.url, pool_size=2)
    live = LiveServer(db)
    live.start()
    with httpx.Client(base_url=live.base_url + "/api/v1", timeout=60) as client:
        yield client
    live.stop()
    db.engine.dispose()


def test_published_values_carry_their_source(api: httpx.Client) -> None:
    page = api.get("/indicator-values", params={"origin": "published", "limit": 1000}).json()
    assert page["total"] > 0
    assert page["release"]["contract"] == "indicator_values"
    assert all(v["origin"] == "published" and v["source"] for v in page["items"])
    national = api.get("/indicator-values", params={"region": "00", "limit": 5}).json()
    assert national["items"]
    assert all(v["region_code"] == "00" for v in national["items"])
    assert national["items"][0]["region_name"]
    # Bare digits are Kemendagri here, as the values are: 92 is Papua Barat, not BPS 92.
    papua_barat = api.get("/indicator-values", params={"region": "92", "limit": 5}).json()
    assert papua_barat["items"]
    assert {v["region_name"] for v in papua_barat["items"]} == {"Papua Barat"}


def test_values_as_a_file(api: httpx.Client) -> None:
    answer = api.get("/indicator-values", params={"format": "csv", "origin": "published"})
    frame = pl.read_csv(io.BytesIO(answer.content), infer_schema=False)
    assert frame.height == int(answer.headers["x-total-count"])
    assert set(frame["origin"].unique()) == {"published"}


def test_poverty_measures_on_the_demo_survey(api: httpx.Client) -> None:
    answer = api.get("/measures/poverty", params={"level": "province"}).json()
    assert answer["items"], answer
    assert all(0 <= r["p0"] < 1 for r in answer["items"])
    assert {r["contract"] for r in answer["releases"]} >= {"susenas_household"}
