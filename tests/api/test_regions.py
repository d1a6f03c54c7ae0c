"""Regions over HTTP: counts, both code systems, search, history, errors."""

from __future__ import annotations

import io

import httpx
import polars as pl
import pytest

ERROR_KEYS = {"code", "message", "details"}


def test_counts_per_level_match_the_2025_list(client: httpx.Client) -> None:
    expected = {"national": 1, "province": 38, "regency": 514, "district": 7285, "village": 83762}
    for level, count in expected.items():
        body = client.get("/regions", params={"level": level, "limit": 1}).json()
        assert body["total"] == count, level


def test_bps_and_kemendagri_codes_resolve_to_the_same_region(client: httpx.Client) -> None:
    by_bps = client.get("/regions/1101").json()
    by_kemendagri = client.get("/regions/11.09").json()
    assert by_bps == by_kemendagri
    assert by_bps["name"] == "Kabupaten Simeulue"
    assert (by_bps["code"], by_bps["bps_code"]) == ("11.09", "1101")
    # The same digits in the other system are another region.
    aceh_selatan = client.get("/regions/1101", params={"system": "kemendagri"}).json()
    assert aceh_selatan["name"] == "Kabupaten Aceh Selatan"
    assert aceh_selatan["code"] == "11.01"


def test_papua_provinces_differ_between_systems(client: httpx.Client) -> None:
    assert client.get("/regions/94").json()["name"] == "Papua"  # BPS 94
    assert client.get("/regions/94", params={"system": "kemendagri"}).json()["name"] == (
        "Papua Tengah"
    )


def test_region_detail_has_ancestors_counts_and_population(client: httpx.Client) -> None:
    body = client.get("/regions/33.26").json()
    assert [a["code"] for a in body["ancestors"]] == ["00", "33"]
    assert body["child_counts"]["children"] == body["child_counts"]["districts"] == 19
    assert body["child_counts"]["villages"] == 285
    assert body["population"]["total"] == 1_034_241
    assert body["kind"] == "kabupaten"
    village = client.get("/regions/33.26.01.2001").json()
    assert [a["code"] for a in village["ancestors"]] == ["00", "33", "33.26", "33.26.01"]


def test_national_totals_add_up(client: httpx.Client) -> None:
    body = client.get("/regions/00").json()
    assert body["population"]["total"] == 284_973_643
    counts = body["child_counts"]
    assert (counts["children"], counts["regencies"], counts["villages"]) == (38, 514, 83762)


def test_children_are_paginated_with_total(client: httpx.Client) -> None:
    first = client.get("/regions/33/children", params={"limit": 10}).json()
    second = client.get("/regions/33/children", params={"limit": 10, "offset": 10}).json()
    assert first["total"] == second["total"] == 35
    codes = [r["code"] for r in first["items"] + second["items"]]
    assert len(set(codes)) == 20
    assert all(c.startswith("33.") for c in codes)


def test_search_finds_kabupaten_and_kota_pekalongan(client: httpx.Client) -> None:
    body = client.get("/regions", params={"q": "pekalongan", "level": "regency"}).json()
    names = {r["name"] for r in body["items"]}
    assert names == {"Kabupaten Pekalongan", "Kota Pekalongan"}
    anywhere = client.get("/regions", params={"q": "pekalongan"}).json()
    assert {r["name"] for r in anywhere["items"][:2]} == names


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Kota Pekalongan", "Kota Pekalongan"),
        ("kab. pekalongan", "Kabupaten Pekalongan"),
        ("KABUPATEN  PEKALONGAN", "Kabupaten Pekalongan"),
        ("pékalongan", None),
        ("jakarta pus", "Kota Administrasi Jakarta Pusat"),
    ],
)
def test_search_ignores_case_accents_and_prefixes(
    client: httpx.Client, query: str, first: str | None
) -> None:
    body = client.get("/regions", params={"q": query}).json()
    assert body["total"] >= 1
    if first is not None:
        assert body["items"][0]["name"] == first


def test_search_within_parent(client: httpx.Client) -> None:
    body = client.get("/regions", params={"q": "kota", "parent": "33", "level": "regency"}).json()
    assert body["total"] == 6  # Jawa Tengah has six kota
    assert all(r["parent_code"] == "33" for r in body["items"])


def test_unknown_code_is_a_404_naming_it_with_suggestions(client: httpx.Client) -> None:
    response = client.get("/regions/33.99")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "region_not_found"
    assert "33.99" in body["message"]
    suggestions = [s["code"] for s in body["details"]["suggestions"]]
    assert len(suggestions) == 5
    assert all(s.startswith("33.") for s in suggestions)
    assert suggestions[0] == "33.76"  # numerically closest kab/kota of Jawa Tengah


def test_bps_miss_that_is_a_kemendagri_code_gets_a_hint(client: httpx.Client) -> None:
    response = client.get("/regions/1472")  # no BPS 1472; Kemendagri 14.72 is Kota Dumai
    assert response.status_code == 404
    assert "14.72" in response.json()["details"]["hint"]


@pytest.mark.parametrize("code", ["abc", "33.2", "123", "33..26"])
def test_malformed_code_is_a_422(client: httpx.Client, code: str) -> None:
    response = client.get(f"/regions/{code}")
    assert response.status_code == 422
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["details"]["errors"][0]["parameter"] == "code"
    assert "code" in body["message"]


def test_bad_parameter_is_a_422_naming_it(client: httpx.Client) -> None:
    response = client.get("/regions", params={"level": "kabupaten"})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["details"]["errors"][0]["parameter"] == "level"
    assert "level" in body["message"]
    too_many = client.get("/regions", params={"limit": 5000}).json()
    assert too_many["details"]["errors"][0]["parameter"] == "limit"


def test_unknown_path_has_the_error_shape(client: httpx.Client) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert set(response.json()) == ERROR_KEYS


def test_history_of_a_split_province_lists_its_successors(client: httpx.Client) -> None:
    # Kemendagri 91 was Papua until 2022; Papua Selatan (93), Papua Tengah (94) and Papua
    # Pegunungan (95) were carved out of it.
    body = client.get("/regions/91/history", params={"system": "kemendagri"}).json()
    to_2025 = {
        s["to_code"]
        for s in body["successors"]
        if s["from_vintage"] == 2020 and s["to_vintage"] == 2025 and s["kind"] == "split"
    }
    assert {"91", "93", "94", "95"} <= to_2025
    assert [v["vintage"] for v in body["vintages"]] == [2016, 2018, 2020, 2022, 2023, 2025]
    selatan = client.get("/regions/93/history", params={"system": "kemendagri"}).json()
    assert "91" in {p["from_code"] for p in selatan["predecessors"]}


def test_history_of_a_recoded_regency(client: httpx.Client) -> None:
    # Merauke moved from Papua (91.01) to Papua Selatan (93.01).
    body = client.get("/regions/93.01/history").json()
    assert any(p["from_code"] == "91.01" for p in body["predecessors"])
    assert body["current"]["name"] == "Kabupaten Merauke"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_lists_download_as_files(client: httpx.Client, fmt: str) -> None:
    response = client.get("/regions/33/children", params={"format": fmt})
    assert response.status_code == 200
    assert response.headers["x-total-count"] == "35"
    assert f"children_33.{fmt}" in response.headers["content-disposition"]
    data = io.BytesIO(response.content)
    reader = {"csv": pl.read_csv, "xlsx": pl.read_excel, "parquet": pl.read_parquet}[fmt]
    frame = reader(data)
    assert frame.height == 35
    assert "bps_code" in frame.columns


def test_digits_of_a_length_the_system_lacks_are_a_404_that_says_so(
    client: httpx.Client,
) -> None:
    response = client.get("/regions/332601")  # six digits: Kemendagri style, not BPS
    assert response.status_code == 404
    assert "2, 4, 7, 10" in response.json()["details"]["hint"]
    as_kemendagri = client.get("/regions/332601", params={"system": "kemendagri"})
    assert as_kemendagri.json()["code"] == "33.26.01"


def test_a_file_without_limit_carries_every_row(client: httpx.Client) -> None:
    response = client.get("/regions", params={"level": "district", "format": "csv"})
    assert pl.read_csv(io.BytesIO(response.content)).height == 7285
