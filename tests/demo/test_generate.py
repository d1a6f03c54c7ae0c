"""The generated files: deterministic for a seed, and internally consistent."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from api.demo.generate import generate
from api.demo.manifest import Manifest
from api.demo.scales import SCALES, ScaleName
from tests.demo.conftest import SEED


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_other_bytes(tiny_folder: Path, tmp_path: Path) -> None:
    again = generate(tmp_path / "again", SCALES[ScaleName.tiny], SEED)
    assert _digests(tmp_path / "again") == _digests(tiny_folder)
    assert again == Manifest.read(tiny_folder)
    generate(tmp_path / "other", SCALES[ScaleName.tiny], SEED + 1)
    other = _digests(tmp_path / "other")
    first = _digests(tiny_folder)
    synthetic = [e.file for e in again.entries if e.origin == "synthetic"]
    assert all(other[name] != first[name] for name in synthetic)
    # Published figures do not depend on the seed.
    assert other["indicator_values.csv"] == first["indicator_values.csv"]


def _read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / name, infer_schema_length=None)


def test_every_person_has_a_household_and_sizes_match(tiny_folder: Path) -> None:
    for homes, people in [
        ("susenas_household_2021.csv", "susenas_person_2021.csv"),
        ("dtks_household_2022.csv", "dtks_person_2022.csv"),
    ]:
        h = _read(tiny_folder, homes)
        p = _read(tiny_folder, people)
        assert p.join(h, on="hh_id", how="anti").is_empty()
        sizes = p.group_by("hh_id").len("members").join(h, on="hh_id")
        assert (sizes["members"] == sizes["hh_size"]).all()
        assert (p.filter(pl.col("relation_to_head") == 1).group_by("hh_id").len()["len"] == 1).all()


def test_susenas_weights_sum_to_the_population(tiny_folder: Path) -> None:
    from api.demo.frame import build_frame
    from api.demo.rng import Draws
    from api.demo.susenas import POPULATION_GROWTH, POPULATION_YEAR

    frame = build_frame(Draws(SEED)).restrict(["34", "75"])
    h = _read(tiny_folder, "susenas_household_2021.csv").with_columns(
        pl.col("kab_code").cast(pl.String)
    )
    weighted = h.group_by("kab_code").agg((pl.col("weight") * pl.col("hh_size")).sum().alias("w"))
    growth = (1 + POPULATION_GROWTH) ** (2021 - POPULATION_YEAR)
    expected = frame.kabs.select(pl.col("bps_code").alias("kab_code"), "population")
    both = weighted.join(expected, on="kab_code")
    assert both.height == frame.kabs.height
    assert ((both["w"] / (both["population"] * growth) - 1).abs() < 1e-9).all()
    # The design: PSUs of 10 households, at least two PSUs per stratum.
    psus = h.group_by("strata", "psu").len()
    assert (psus["len"] == 10).all()
    assert (psus.group_by("strata").len()["len"] >= 2).all()


def test_registry_follows_households_across_releases(tiny_folder: Path) -> None:
    first = _read(tiny_folder, "dtks_household_2021.csv").select("hh_id", "welfare_decile")
    second = _read(tiny_folder, "dtks_household_2022.csv").select("hh_id", "welfare_decile")
    both = first.join(second, on="hh_id", suffix="_2022")
    # Most households stay (stable ids), some leave and others enter.
    assert 0.6 < both.height / first.height < 0.99
    # Chronic poverty: many stay in the two lowest deciles; others move.
    stayed_low = both.filter((pl.col("welfare_decile") <= 2) & (pl.col("welfare_decile_2022") <= 2))
    assert stayed_low.height > 0.2 * both.height
    assert (both["welfare_decile"] != both["welfare_decile_2022"]).sum() > 0.1 * both.height
    assert set(first["welfare_decile"].unique()) >= {1, 2, 3, 4}


def test_deprivations_follow_deciles_and_podes(tiny_folder: Path) -> None:
    h = _read(tiny_folder, "dtks_household_2021.csv")
    unsafe_water = pl.col("drinking_water_source").is_in([6, 8, 9])
    no_toilet = pl.col("toilet_facility") == 6
    by_decile = (
        h.with_columns(pl.col("welfare_decile").clip(upper_bound=4))
        .group_by("welfare_decile")
        .agg(no_toilet.mean().alias("no_toilet"), pl.col("has_refrigerator").mean().alias("fridge"))
        .sort("welfare_decile")
    )
    assert by_decile["no_toilet"].to_list() == sorted(by_decile["no_toilet"], reverse=True)
    assert by_decile["fridge"].to_list() == sorted(by_decile["fridge"])
    # A desa whose main water source (Podes) is not piped has more households without safe
    # water. Podes uses BPS desa codes: match them through the desa name and kab/kota.
    podes = _read(tiny_folder, "podes_village_2021.csv").select(
        pl.col("desa_code").cast(pl.String).str.slice(0, 4).alias("kab_bps"),
        "desa_name",
        pl.col("drinking_water_source").is_in([3, 4]).alias("piped"),
    )
    from api.demo.frame import build_frame
    from api.demo.rng import Draws

    desa = build_frame(Draws(SEED)).desa.select(
        pl.col("code").alias("desa_code"), "kab_bps", pl.col("name").alias("desa_name")
    )
    linked = (
        h.join(desa, on="desa_code")
        .join(podes.unique(["kab_bps", "desa_name"], keep="none"), on=["kab_bps", "desa_name"])
        .group_by("piped")
        .agg(unsafe_water.mean().alias("unsafe"), pl.len())
    )
    share = dict(zip(linked["piped"], linked["unsafe"], strict=True))
    assert share[False] > share[True]


@pytest.mark.parametrize("name", ["dtks_person_2021.csv", "dtks_person_2022.csv"])
def test_nik_is_well_formed_and_never_real(tiny_folder: Path, name: str) -> None:
    p = pl.read_csv(
        tiny_folder / name, schema_overrides={"nik": pl.String, "hh_id": pl.String}
    ).with_columns(pl.col("birth_date").str.to_date())
    day = pl.col("nik").str.slice(6, 2).cast(pl.Int64)
    checks = p.select(
        (pl.col("nik").str.len_chars() == 16).all().alias("length"),
        # Prefix: the kab/kec part of the household's desa code.
        (pl.col("nik").str.slice(0, 6) == pl.col("hh_id").str.slice(0, 6)).all().alias("prefix"),
        ((day - pl.when(pl.col("sex") == 2).then(40).otherwise(0)) == pl.col("birth_date").dt.day())
        .all()
        .alias("day"),
        (pl.col("nik").str.slice(8, 4) == pl.col("birth_date").dt.strftime("%m%y"))
        .all()
        .alias("mmyy"),
        (pl.col("nik").str.slice(12, 4).cast(pl.Int64) >= 9000).all().alias("serial"),
    )
    assert checks.row(0) == (True, True, True, True, True)
