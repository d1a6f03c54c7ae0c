"""Synthetic Sakernas (August round): persons aged 15+, with labour force status and sector.

Each kab/kota gets ``persons_per_kab`` respondents in PSUs of 10 within urban/rural strata,
weighted to its working-age population (70% of the population, synthetic). Unemployment and
participation follow the kab/kota's published 2021 TPT and TPAK in every year (plus a little
noise per year), so the synthetic rates sit near the published ones.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.demo import sources
from api.demo.frame import RegionFrame
from api.demo.rng import Draws
from api.demo.traits import diploma, logistic, sector
from api.ingest.contracts import all_contracts

WORKING_AGE_SHARE = 0.70
PSU_SIZE = 10
_KBLI = {1: "A", 2: "B", 3: "C", 4: "D", 5: "F", 6: "G", 7: "H", 8: "K", 9: "P"}
_INFORMAL_STATUS = (1, 2, 5, 6, 7)

COLUMNS = all_contracts()["sakernas_person"].column_names


def kab_rates(frame: RegionFrame, folder: Path = sources.PUBLISHED_DIR) -> pl.DataFrame:
    """(kab_code, tpt, tpak) as fractions from the 2021 kab/kota cross-section."""
    raw = pl.read_csv(sources.published(sources.KAB_2021, folder), infer_schema=False)
    rates = raw.select(
        pl.col("kode_kemendagri_2025").alias("kab_code"),
        (pl.col("tpt_persen").cast(pl.Float64) / 100).alias("tpt"),
        (pl.col("tpak_persen").cast(pl.Float64) / 100).alias("tpak"),
    )
    return frame.kabs.select(pl.col("code").alias("kab_code")).join(
        rates, on="kab_code", how="left"
    )


def persons(
    draws: Draws, frame: RegionFrame, rates: pl.DataFrame, year: int, persons_per_kab: int
) -> pl.DataFrame:
    psus = max(2, persons_per_kab // (2 * PSU_SIZE))
    strata = (
        frame.kabs.select(
            pl.col("code").alias("kab_code"), "bps_code", "prov_bps", "population", "urban_share"
        )
        .join(rates, on="kab_code")
        .join(pl.DataFrame({"urban": [1, 2]}, schema={"urban": pl.Int64}), how="cross")
        .with_columns(
            pl.when(pl.col("urban") == 1)
            .then(pl.col("urban_share"))
            .otherwise(1 - pl.col("urban_share"))
            .alias("share")
        )
        .filter(pl.col("share") > 0)
        .with_columns(pl.int_ranges(1, psus + 1).alias("psu_no"))
        .explode("psu_no")
        .with_columns(pl.int_ranges(1, PSU_SIZE + 1).alias("member"))
        .explode("member")
    )
    key = (
        (
            ((pl.lit(year) * 10_000 + pl.col("bps_code").cast(pl.Int64)) * 10 + pl.col("urban"))
            * 1_000
            + pl.col("psu_no")
        )
        * 100
        + pl.col("member")
    ).cast(pl.UInt64)
    k = pl.col("_key")
    rural = pl.col("_rural")
    poverty = pl.col("_poverty")
    year_noise = 1 + 0.08 * draws.normal(
        (pl.col("bps_code").cast(pl.Int64) * 10_000 + year).cast(pl.UInt64), "sakernas.year"
    )
    in_force = draws.bernoulli(k, "sakernas.lf", pl.col("tpak"))
    unemployed = draws.bernoulli(
        k, "sakernas.unemployed", (pl.col("tpt") * year_noise).clip(0, 0.5)
    )
    status = pl.when(~in_force).then(3).when(unemployed).then(2).otherwise(1)
    working = pl.col("labour_force_status") == 1
    return (
        strata.lazy()
        .with_columns(
            key.alias("_key"),
            (pl.col("urban") == 2).cast(pl.Float64).alias("_rural"),
            (pl.col("population") * WORKING_AGE_SHARE * pl.col("share") / (psus * PSU_SIZE)).alias(
                "weight"
            ),
        )
        .with_columns(draws.normal(k, "sakernas.poverty").alias("_poverty"))
        .with_columns(
            pl.concat_str(pl.lit(str(year)), k.cast(pl.String).str.slice(4)).alias("person_id"),
            pl.col("prov_bps").alias("prov_code"),
            pl.col("bps_code").alias("kab_code"),
            pl.concat_str(pl.col("bps_code"), pl.lit("-"), pl.col("urban")).alias("strata"),
            pl.concat_str(
                pl.col("bps_code"), pl.col("urban"), pl.col("psu_no").cast(pl.String).str.zfill(3)
            ).alias("psu"),
            pl.lit(year).alias("year"),
            (15 + (draws.uniform(k, "sakernas.age") ** 1.4) * 70)
            .floor()
            .cast(pl.Int64)
            .alias("age"),
            draws.choice(k, "sakernas.sex", [1, 2], [0.5, 0.5]).alias("sex"),
            diploma(draws, k, "sakernas.diploma", poverty, rural).alias("highest_diploma"),
            status.alias("labour_force_status"),
        )
        .with_columns(
            pl.when(working)
            .then(sector(draws, k, "sakernas.sector", poverty, rural))
            .alias("sector"),
        )
        .with_columns(
            pl.col("sector")
            .replace_strict(_KBLI, default=None, return_dtype=pl.String)
            .alias("sector_kbli"),
            pl.when(working)
            .then(
                draws.choice(
                    k,
                    "sakernas.status",
                    [1, 2, 3, 4, 5, 6, 7],
                    [0.2, 0.15, 0.04, 0.38, 0.05, 0.05, 0.13],
                )
            )
            .alias("employment_status"),
            pl.when(working)
            .then((40 * (0.35 * draws.normal(k, "sakernas.hours")).exp()).round(0).clip(1, 98))
            .alias("hours_worked"),
        )
        .with_columns(
            pl.when(working)
            .then(
                pl.col("employment_status").is_in(list(_INFORMAL_STATUS))
                | draws.bernoulli(k, "sakernas.informal", logistic(-2.0 + poverty))
            )
            .alias("informal")
        )
        .select(COLUMNS)
        .collect()
    )
