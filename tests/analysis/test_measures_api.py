"""The measures API on real releases: same numbers as the engine and the CLI, region codes and
names, the releases used, caching per release, files, and clear errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL

from api.db.engine import Database
from api.ingest.contracts import all_contracts
from api.ingest.loader import LoadRequest, load_file
from api.measures import poverty_measures
from tests.conftest import Cluster, LiveServer
from tests.measures.synthetic import KABS, households, persons


def _load(engine: Engine, contract: str, frame: pl.DataFrame, path: Path) -> int:
    frame.write_csv(path)
    request = LoadRequest(all_contracts()[contract], path, path.stem, "test")
    result = load_file(engine, request)
    assert result.report.ok, result.report
    assert result.release_id is not None
    return result.release_id


@pytest.fixture(scope="module")
def survey() -> pl.DataFrame:
    return households(seed=11)


@pytest.fixture(scope="module")
def measures_url(cluster: Cluster, template_url: URL) -> Iterator[URL]:
    name = "sepakat_measures"
    yield cluster.create_database(name, template="sepakat_template")
    cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def releases(
    measures_url: URL, survey: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, int]:
    """Lines from a poverty_line release for the first file; the second carries its own."""
    folder = tmp_path_factory.mktemp("measures")
    engine = create_engine(measures_url)
    lines = pl.DataFrame(
        [
            (kab, urban, 2024, line)
            for kab, z_urban, z_rural in KABS
            for urban, line in ((1, z_urban), (2, z_rural))
        ],
        schema=["kab_code", "urban", "year", "poverty_line"],
        orient="row",
    )
    ids = {
        "lines": _load(engine, "poverty_line", lines, folder / "gk.csv"),
        "own_lines": _load(
            engine, "susenas_household", survey.drop("extreme_poverty_line"), folder / "own.csv"
        ),
    }
    people = persons(survey).with_columns(
        pl.when(pl.col("person_no") == 1).then(1).otherwise(3).alias("relation_to_head")
    )
    ids["persons"] = _load(engine, "susenas_person", people, folder / "persons.csv")
    without = survey.drop("extreme_poverty_line").with_columns(
        pl.lit(None, pl.Float64).alias("poverty_line"), pl.lit(2024).alias("year")
    )
    ids["households"] = _load(engine, "susenas_household", without, folder / "hh.csv")
    engine.dispose()
    return ids


@pytest.fixture(scope="module")
def api(measures_url: URL, releases: dict[str, int]) -> Iterator[httpx.Client]:
    db = Database(measures_url, pool_size=4)
    live = LiveServer(db)
    live.start()
    with httpx.Client(base_url=live.base_url + "/api/v1/measures", timeout=60) as client:
        yield client
    live.stop()
    db.engine.dispose()


ENGINE_COLUMNS = ["p0", "p0_se", "p1", "p2_se", "watts", "n_poor_se", "gini", "n_hh", "n_psu"]


def test_kab_kota_figures_equal_the_engine(api: httpx.Client, survey: pl.DataFrame) -> None:
    answer = api.get("/poverty", params={"level": "regency", "by": "urban"}).json()
    expected = poverty_measures(survey, levels=["regency"], breakdowns=["urban"])
    got = pl.DataFrame(
        [
            {**r, "urban": r["breakdown"]["urban"], "region_code": r["bps_code"]}
            for r in answer["items"]
        ]
    )
    assert_frame_equal(
        got.select("region_code", "urban", *ENGINE_COLUMNS).sort("region_code", "urban"),
        expected.select("region_code", "urban", *ENGINE_COLUMNS).sort("region_code", "urban"),
        check_exact=False,
        rel_tol=1e-12,
    )
    first = answer["items"][0]
    assert (first["region_code"], first["region_name"]) == ("32.01", "Kabupaten Bogor")
    assert answer["breakdowns"] == ["urban"]
    used = {r["contract"] for r in answer["releases"]}
    assert used == {"susenas_household", "poverty_line"}  # lines came from the dataset


def test_a_release_with_its_own_lines_needs_no_line_release(
    api: httpx.Client, releases: dict[str, int], survey: pl.DataFrame
) -> None:
    answer = api.get("/poverty", params={"release": releases["own_lines"]}).json()
    assert [r["contract"] for r in answer["releases"]] == ["susenas_household"]
    assert answer["releases"][0]["id"] == releases["own_lines"]
    national = poverty_measures(survey).row(0, named=True)
    assert answer["items"][0]["p0"] == pytest.approx(national["p0"], rel=1e-12)
    assert answer["items"][0]["region_code"] == "00"


def test_cli_and_api_give_the_same_numbers(
    api: httpx.Client, releases: dict[str, int], survey: pl.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "susenas.csv"
    survey.write_csv(path)
    run = subprocess.run(
        [sys.executable, "-m", "api.cli", "measures", "poverty", str(path), "--by", "kab_code"],
        capture_output=True,
        text=True,
        check=True,
    )
    cli = [r for r in json.loads(run.stdout) if r["level"] == "regency"]
    http = api.get(
        "/poverty", params={"level": "regency", "release": releases["own_lines"]}
    ).json()["items"]
    for by_cli, by_api in zip(
        sorted(cli, key=lambda r: r["region_code"]),
        sorted(http, key=lambda r: r["bps_code"]),
        strict=True,
    ):
        assert by_cli["region_code"] == by_api["bps_code"]
        for field in ("p0", "p0_se", "p1", "p2", "watts", "gini", "share_bottom40", "decile_cuts"):
            assert by_cli[field] == by_api[field], field


def test_parent_and_region_lists(api: httpx.Client) -> None:
    jabar = api.get("/poverty", params={"level": "regency", "parent": "32"}).json()["items"]
    assert sorted(r["bps_code"] for r in jabar) == ["3201", "3202"]
    one = api.get("/poverty", params={"level": "regency", "region": ["33.01"]}).json()["items"]
    assert [r["region_code"] for r in one] == ["33.01"]
    province = api.get("/poverty", params={"level": "province"}).json()["items"]
    assert sorted(r["bps_code"] for r in province) == ["32", "33"]


def test_files_hold_the_same_rows(api: httpx.Client) -> None:
    params = {"level": "regency"}
    items = api.get("/poverty", params=params).json()["items"]
    csv = api.get("/poverty", params={**params, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pl.read_csv(io.BytesIO(csv.content))
    assert frame.height == len(items)
    assert "decile_cuts_9" in frame.columns  # lists become numbered columns
    parquet = pl.read_parquet(
        io.BytesIO(api.get("/poverty", params={**params, "format": "parquet"}).content)
    )
    assert parquet["p0"].to_list() == [r["p0"] for r in items]
    xlsx = api.get("/poverty", params={**params, "format": "xlsx"})
    sheet = pl.read_excel(io.BytesIO(xlsx.content))
    assert sheet["p0"].to_list() == pytest.approx([r["p0"] for r in items])


def test_profile_and_indicators(api: httpx.Client) -> None:
    profile = api.get("/poverty-profile", params={"characteristic": "head_sex"}).json()
    bands = {(r["value"], r["band"]) for r in profile["items"]}
    assert ("1", "poor") in bands
    shares = [r["share_of_band"] for r in profile["items"] if r["band"] == "poor"]
    assert sum(shares) == pytest.approx(1.0)

    catalogue = api.get("/catalogue").json()
    codes = [i["code"] for i in catalogue["indicators"]]
    assert len(codes) >= 20
    household = next(
        i
        for i in catalogue["indicators"]
        if i["unit"] == "household" and "quintile" in i["breakdowns"]
    )
    answer = api.get(f"/indicators/{household['code']}", params={"by": "quintile"}).json()
    assert {r["breakdown"]["quintile"] for r in answer["items"]} == {1, 2, 3, 4, 5}
    assert all(0 <= r["value"] <= 1 for r in answer["items"] if r["value"] is not None)


def test_errors_name_what_is_wrong(api: httpx.Client, releases: dict[str, int]) -> None:
    missing = api.get("/poverty", params={"release": 999_999})
    assert missing.status_code == 404
    assert missing.json()["code"] == "release_not_found"
    bad_by = api.get("/poverty", params={"by": "colour"})
    assert bad_by.status_code == 422
    assert bad_by.json()["details"]["errors"][0]["parameter"] == "by.0"  # the first value
    national_parent = api.get("/poverty", params={"level": "national", "parent": "32"})
    assert national_parent.status_code == 422
    unknown = api.get("/indicators/no_such_indicator")
    assert unknown.status_code == 404
    both = api.get("/poverty", params={"level": "regency", "parent": "32", "region": "33.01"})
    assert both.status_code == 422
    fine_grained = api.get("/poverty", params={"level": "regency", "by": "exp_per_capita"})
    assert fine_grained.status_code == 422  # a cell per household would publish records
    assert "head_work_sector" in fine_grained.json()["details"]["errors"][0]["message"]
    earlier_persons = api.get(
        "/indicators/" + _person_indicator(api), params={"release": releases["own_lines"]}
    )
    assert earlier_persons.status_code == 422
    assert earlier_persons.json()["details"]["parameter"] == "person_release"
    not_a_kab = api.get("/poverty", params={"level": "regency", "region": "32"})
    assert not_a_kab.status_code == 422
    assert not_a_kab.json()["details"]["parameter"] == "region"


def _person_indicator(api: httpx.Client) -> str:
    entries = api.get("/catalogue").json()["indicators"]
    return str(next(i["code"] for i in entries if i["unit"] == "person"))


def test_a_person_indicator_pairs_the_releases(api: httpx.Client, releases: dict[str, int]) -> None:
    code = _person_indicator(api)
    answer = api.get(f"/indicators/{code}").json()
    assert {r["contract"] for r in answer["releases"]} == {"susenas_household", "susenas_person"}


def test_a_new_release_is_a_new_answer(
    api: httpx.Client, measures_url: URL, survey: pl.DataFrame, tmp_path: Path
) -> None:
    before = api.get("/poverty").json()
    engine = create_engine(measures_url)
    richer = survey.drop("extreme_poverty_line").with_columns(
        (pl.col("exp_per_capita") * 2).alias("exp_per_capita")
    )
    new_id = _load(engine, "susenas_household", richer, tmp_path / "richer.csv")
    try:
        after = api.get("/poverty").json()
        assert after["releases"][0]["id"] == new_id
        assert after["items"][0]["p0"] < before["items"][0]["p0"]
        # The earlier answer, asked for by release, says its release is no longer active.
        earlier = api.get("/poverty", params={"release": before["releases"][0]["id"]}).json()
        assert earlier["releases"][0]["status"] == "superseded"
        assert earlier["items"] == before["items"]
    finally:
        with engine.begin() as conn:  # give the other tests their release back
            conn.execute(
                text("UPDATE dataset_release SET status = 'superseded' WHERE id = :i"),
                {"i": new_id},
            )
            conn.execute(
                text("UPDATE dataset_release SET status = 'active' WHERE id = :i"),
                {"i": before["releases"][0]["id"]},
            )
        engine.dispose()
