"""Synthetic PDRB by kab/kota, year and sector (17 BPS categories plus the total).

The 2021 total at constant 2010 prices is the kab/kota's published figure (the 2021
cross-section, unit taken as million rupiah, see the note there); other years move it with a
synthetic growth path (a 2020 contraction, about 5% a year otherwise). Sector shares are
synthetic: rural kab/kota lean on agriculture, cities on trade and services. Current prices
apply a synthetic deflator of about 3.5% a year since 2010.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.demo import sources
from api.demo.frame import RegionFrame
from api.demo.rng import Draws
from api.ingest.contracts import all_contracts

SECTORS = [
    "A",
    "B",
    "C",
    "D",
    "E",
    "F",
    "G",
    "H",
    "I",
    "J",
    "K",
    "L",
    "M,N",
    "O",
    "P",
    "Q",
    "R,S,T,U",
]
# Shares of a rural and of an urban economy (each sums to 1).
RURAL_SHARES = [
    0.32,
    0.06,
    0.12,
    0.002,
    0.001,
    0.09,
    0.13,
    0.03,
    0.02,
    0.03,
    0.02,
    0.03,
    0.005,
    0.05,
    0.04,
    0.01,
    0.012,
]
URBAN_SHARES = [
    0.03,
    0.01,
    0.18,
    0.01,
    0.002,
    0.10,
    0.20,
    0.06,
    0.05,
    0.08,
    0.07,
    0.05,
    0.03,
    0.05,
    0.04,
    0.02,
    0.028,
]
GROWTH = {2019: 0.05, 2020: -0.02, 2021: 0.037, 2022: 0.053, 2023: 0.05, 2024: 0.05, 2025: 0.05}
BASE_YEAR = 2021
DEFLATOR_GROWTH = 0.035
COLUMNS = all_contracts()["pdrb"].column_names


def _level(year: int) -> float:
    """Constant-price level of ``year`` relative to 2021."""
    level = 1.0
    for y in range(BASE_YEAR + 1, year + 1):
        level *= 1 + GROWTH.get(y, 0.05)
    for y in range(year + 1, BASE_YEAR + 1):
        level /= 1 + GROWTH.get(y, 0.05)
    return level


def pdrb_file(
    draws: Draws, frame: RegionFrame, years: list[int], folder: Path = sources.PUBLISHED_DIR
) -> pl.DataFrame:
    published = pl.read_csv(sources.published(sources.KAB_2021, folder), infer_schema=False).select(
        pl.col("kode_kemendagri_2025").alias("code"),
        pl.col("pdrb_adhk_pengeluaran").cast(pl.Float64).alias("total_2021"),
    )
    kabs = frame.kabs.select("code", "bps_code", "urban_share").join(published, on="code")
    grid = kabs.join(
        pl.DataFrame({"year": years, "level": [_level(y) for y in years]}), how="cross"
    ).join(
        pl.DataFrame(
            {
                "sector": SECTORS,
                "rural": RURAL_SHARES,
                "urban": URBAN_SHARES,
                "order": range(len(SECTORS)),
            }
        ),
        how="cross",
    )
    key = (pl.col("bps_code").cast(pl.Int64) * 100 + pl.col("order")).cast(pl.UInt64)
    share = (
        pl.col("urban_share") * pl.col("urban") + (1 - pl.col("urban_share")) * pl.col("rural")
    ) * (0.3 * draws.normal(key, "pdrb.share")).exp()
    sectors = (
        grid.with_columns(share.alias("share"))
        .with_columns((pl.col("share") / pl.col("share").sum().over("code", "year")).alias("share"))
        .with_columns(
            (pl.col("total_2021") * pl.col("level") * pl.col("share"))
            .round(2)
            .alias("constant_prices_2010"),
        )
    )
    totals = sectors.group_by("code", "bps_code", "year").agg(
        pl.col("constant_prices_2010").sum().round(2), pl.lit("TOTAL").alias("sector")
    )
    latest = max(years)
    return (
        pl.concat(
            [sectors.select(totals.columns), totals.select(totals.columns)], how="vertical_relaxed"
        )
        .with_columns(
            pl.col("bps_code").alias("region_code"),
            (pl.col("constant_prices_2010") * (1 + DEFLATOR_GROWTH) ** (pl.col("year") - 2010))
            .round(2)
            .alias("current_prices"),
            pl.when(pl.col("year") == latest)
            .then(pl.lit("sangat_sementara"))
            .when(pl.col("year") == latest - 1)
            .then(pl.lit("sementara"))
            .otherwise(pl.lit("tetap"))
            .alias("figure_status"),
        )
        .select(COLUMNS)
        .sort("region_code", "year", "sector")
    )
