"""Synthetic Podes (village census) for every desa/kelurahan, and the desa facts DTKS uses.

A desa's poverty is its kab/kota's calibrated P0 moved by the desa's own welfare effect (and
rurality); its facilities, water, sanitation and electricity follow that poverty. Later Podes
rounds reuse the same draws with a small improvement, so facts change slowly between rounds.
"""

from __future__ import annotations

import polars as pl

from api.demo.rng import Draws, normal_cdf, probit
from api.demo.traits import logistic, tilted
from api.ingest.contracts import all_contracts

NATIONAL_P0 = 0.10  # about March 2021; centres the desa poverty score
IMPROVEMENT_PER_YEAR = 0.05  # latent SD a year by which facilities improve
BASE_YEAR = 2021


def desa_facts(desa: pl.DataFrame, kab_p0: pl.DataFrame) -> pl.DataFrame:
    """Per desa: ``desa_poor`` (share of poor) and ``score`` (about N(0,1), higher = poorer)."""
    rural = ~pl.col("urban")
    shifted = (
        probit(pl.col("kab_p0"))
        + 0.45 * pl.col("effect")
        + pl.when(rural).then(0.15).otherwise(-0.25)
    )
    return desa.join(kab_p0.rename({"p0": "kab_p0"}), on="kab_code", how="left").with_columns(
        normal_cdf(shifted).alias("desa_poor"),
        (shifted - probit(pl.lit(NATIONAL_P0))).alias("score"),
    )


def village_items(draws: Draws, year: int) -> dict[str, pl.Expr]:
    """Podes items of a desa for ``year`` over a frame from :func:`desa_facts`."""
    key = pl.col("key")
    rural = ~pl.col("urban")
    score = pl.col("score") - IMPROVEMENT_PER_YEAR * (year - BASE_YEAR)
    households = pl.col("households")

    def pick(name: str, base: list[float], tilt: list[float], rural_tilt: list[float]) -> pl.Expr:
        codes = list(range(1, len(base) + 1))
        return tilted(draws, key, f"podes.{name}", codes, base, tilt, score, rural_tilt, rural)

    def count(name: str, mean: pl.Expr) -> pl.Expr:
        # A rounded draw around the mean: counts of facilities, never negative.
        return (mean * (0.5 * draws.normal(key, f"podes.{name}")).exp()).round().cast(pl.Int64)

    def flag(name: str, p: pl.Expr | float) -> pl.Expr:
        return draws.bernoulli(key, f"podes.{name}", p)

    no_power = logistic(-4.2 + 1.1 * score + 0.8 * rural.cast(pl.Float64))
    non_pln = logistic(-4.0 + 0.7 * score + 0.6 * rural.cast(pl.Float64))
    families_no_power = (households * no_power).round().cast(pl.Int64)
    families_non_pln = (households * non_pln).round().cast(pl.Int64)
    families_pln = (households - families_no_power - families_non_pln).clip(lower_bound=0)
    return {
        "families_pln": families_pln,
        "families_non_pln": families_non_pln,
        "families_no_electricity": families_no_power,
        "pln_share": (100.0 * families_pln / households).round(2),
        "drinking_water_source": pick(
            "water",
            [0.06, 0.22, 0.12, 0.05, 0.20, 0.15, 0.10, 0.06, 0.02, 0.02],
            [-0.8, -0.6, -0.5, 0.0, -0.1, 0.4, 0.5, 1.1, 0.8, 0.4],
            [-0.8, -0.8, -0.5, 0.3, 0.3, 0.8, 1.0, 1.2, 0.8, 0.3],
        ),
        "toilet_facility": pick(
            "toilet", [0.80, 0.08, 0.04, 0.08], [-0.5, 0.3, 0.5, 1.3], [-0.3, 0.3, 0.3, 1.0]
        ),
        "transport_access": pick(
            "transport", [0.93, 0.03, 0.04], [-0.2, 0.8, 0.6], [-0.5, 0.5, 0.5]
        ),
        "road_surface": pick(
            "road", [0.70, 0.16, 0.12, 0.02], [-0.6, 0.4, 1.0, 0.6], [-0.8, 0.6, 1.0, 0.5]
        ),
        "car_access": pick(
            "car", [0.86, 0.06, 0.04, 0.04], [-0.4, 0.5, 0.8, 1.3], [-0.4, 0.5, 0.7, 1.0]
        ),
        "primary_school_count": count("sd", 1.0 + households / 350),
        "primary_school_distance_km": (
            0.5 * (0.8 * draws.normal(key, "podes.sd_km") + 0.3 * score).exp()
        ).round(1),
        "junior_secondary_school_count": count("smp", 0.2 + households / 1200),
        "junior_secondary_school_distance_km": (
            2.0 * (0.9 * draws.normal(key, "podes.smp_km") + 0.4 * score).exp()
        )
        .round(1)
        .clip(0, 999),
        "senior_secondary_school_count": count("sma", 0.05 + households / 2500),
        "hospital_count": count("hospital", households / 20000),
        "puskesmas_count": count("puskesmas", 0.1 + households / 5000),
        "puskesmas_distance_km": (
            3.0 * (0.9 * draws.normal(key, "podes.pkm_km") + 0.5 * score).exp()
        )
        .round(1)
        .clip(0, 999),
        "pustu_count": count("pustu", 0.3 + 0.0 * households),
        "poskesdes_count": count("poskesdes", 0.5 + 0.0 * households),
        "midwife_practice_count": count("midwife", 0.3 + households / 1500),
        "posyandu_count": count("posyandu", 1.0 + households / 250),
        "market_count": count("market", 0.1 + households / 3000),
        "bank_count": count("bank", households / 4000 * pl.when(rural).then(0.3).otherwise(1.5)),
        "bumdes_units": pl.when(pl.col("kelurahan"))
        .then(None)
        .otherwise(count("bumdes", 0.8 + 0.0 * households)),
        "main_income_sector": pick(
            "income",
            [0.62, 0.02, 0.05, 0.12, 0.03, 0.14, 0.02],
            [0.5, 0.2, -0.3, -0.4, -0.3, -0.4, 0.0],
            [1.8, 0.5, -0.8, -1.2, -0.8, -1.2, 0.0],
        ),
        "cellular_signal": pick(
            "cell", [0.45, 0.35, 0.15, 0.05], [-0.6, 0.0, 0.6, 1.2], [-0.7, 0.0, 0.6, 1.0]
        ),
        "internet_signal": pick(
            "internet", [0.75, 0.12, 0.07, 0.06], [-0.6, 0.3, 0.7, 1.3], [-0.7, 0.3, 0.6, 1.0]
        ),
        "flood": flag("flood", 0.16),
        "flash_flood": flag("flash_flood", 0.04),
        "landslide": flag("landslide", 0.08 + 0.04 * rural.cast(pl.Float64)),
        "earthquake": flag("earthquake", 0.06),
        "forest_fire": flag("forest_fire", 0.03 * rural.cast(pl.Float64)),
        "drought": flag("drought", 0.05 + 0.03 * rural.cast(pl.Float64)),
        "early_warning_system": flag("ews", 0.06),
        "malnutrition_cases": count("malnutrition", (pl.col("desa_poor") * households / 60)),
    }


PODES_COLUMNS = all_contracts()["podes_village"].column_names


def podes_file(draws: Draws, facts: pl.DataFrame, year: int) -> pl.DataFrame:
    """The ``podes_village`` contract file of one round (BPS desa codes, see frame.py)."""
    items = village_items(draws, year)
    return (
        facts.lazy()
        .with_columns(
            pl.col("bps_code").alias("desa_code"),
            pl.lit(year).alias("year"),
            pl.col("name").alias("desa_name"),
            pl.when(pl.col("kelurahan")).then(2).otherwise(1).alias("government_status"),
            *(expr.alias(name) for name, expr in items.items()),
        )
        .select(PODES_COLUMNS)
        .sort("desa_code")
        .collect()
    )


def household_links(draws: Draws, facts: pl.DataFrame, year: int) -> pl.DataFrame:
    """What DTKS households of a desa share with it: the desa's main water source and toilet,
    whether it has piped water, and its share of families without electricity."""
    items = village_items(draws, year)
    return facts.select(
        "code",
        "score",
        "desa_poor",
        items["drinking_water_source"].alias("desa_water"),
        items["toilet_facility"].alias("desa_toilet"),
        (items["families_no_electricity"] / pl.col("households")).alias("desa_no_power"),
    )
