"""Each kab/kota's synthetic Susenas reproduces the published P0 it was calibrated to,
within the design's 95% confidence interval (Taylor linearisation over strata and PSUs)."""

from __future__ import annotations

import polars as pl
import pytest

from api.demo.calibration import p0_targets
from api.demo.frame import RegionFrame, build_frame
from api.demo.poverty_lines import kab_lines
from api.demo.rng import Draws
from api.demo.scales import REAL_SUSENAS_HOUSEHOLDS
from api.demo.susenas import SusenasDesign, households, strata

Z95 = 1.959963984540054


def p0_with_se(homes: pl.DataFrame) -> pl.DataFrame:
    """Per kab/kota: person-weighted P0 and its linearised SE (docs MEASURES.md).

    Strata lie inside one kab/kota, so strata of other kab/kota contribute nothing to a kab's
    variance and each kab can be computed on its own rows.
    """
    v = pl.col("weight") * pl.col("hh_size")
    poor = (pl.col("exp_per_capita") < pl.col("poverty_line")).cast(pl.Float64)
    rows = (
        homes.with_columns(v.alias("v"), poor.alias("poor"))
        .with_columns(
            (pl.col("v") * pl.col("poor")).sum().over("kab_code").alias("poor_total"),
            pl.col("v").sum().over("kab_code").alias("n_total"),
        )
        .with_columns((pl.col("poor_total") / pl.col("n_total")).alias("p0"))
    )
    scores = rows.with_columns(
        (pl.col("v") * (pl.col("poor") - pl.col("p0")) / pl.col("n_total")).alias("u")
    )
    psu = scores.group_by("kab_code", "strata", "psu").agg(pl.col("u").sum())
    variance = (
        psu.with_columns(
            pl.len().over("kab_code", "strata").alias("n_h"),
            (pl.col("u") - pl.col("u").mean().over("kab_code", "strata")).pow(2).alias("dev"),
        )
        .group_by("kab_code", "strata")
        .agg((pl.col("n_h").first() / (pl.col("n_h").first() - 1) * pl.col("dev").sum()).alias("v"))
        .group_by("kab_code")
        .agg(pl.col("v").sum().sqrt().alias("se"))
    )
    return rows.group_by("kab_code").agg(pl.col("p0").first()).join(variance, on="kab_code")


@pytest.fixture(scope="module")
def country() -> RegionFrame:
    return build_frame(Draws(7))


@pytest.mark.parametrize("year", [2021, 2023])
def test_kab_p0_within_the_confidence_interval(country: RegionFrame, year: int) -> None:
    draws = Draws(7)
    design = SusenasDesign.national(country, REAL_SUSENAS_HOUSEHOLDS)
    targets = p0_targets(country, [year])
    lines = kab_lines(country, [year])
    homes = households(draws, strata(country, year, targets, lines, design), year, design)
    assert homes["hh_id"].is_unique().all()  # the whole country: one row per household
    estimates = p0_with_se(homes).join(
        country.kabs.select(pl.col("bps_code").alias("kab_code"), "code"), on="kab_code"
    )
    published = targets.filter(pl.col("basis") == "published_kab").select(
        pl.col("kab_code").alias("code"), pl.col("p0").alias("published")
    )
    compared = estimates.join(published, on="code")
    # 2021: the national kab/kota cross-section; 2023: the Jawa Tengah series.
    assert compared.height == (514 if year == 2021 else 35)
    inside = ((compared["p0"] - compared["published"]).abs() <= Z95 * compared["se"]).mean()
    assert inside is not None
    assert inside >= 0.95
    # Realistic precision: BPS kab/kota P0 estimates have relative SEs of a few to ~25%.
    rse = (compared["se"] / compared["p0"]).median()
    assert rse is not None
    assert 0.03 < rse < 0.25
