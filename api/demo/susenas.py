"""Synthetic Susenas (March round): households and persons, calibrated to published P0.

Design, as BPS draws it: strata are kab/kota × urban/rural; each stratum has at least two PSUs
of ``psu_size`` households; the yearly sample (~345,000 households at real size) is spread
over kab/kota by the square root of their households. Household weights are constant within
a stratum and calibrated so that Σ weight × size equals the stratum's population.

Calibration: a household's welfare is a latent score (a PSU effect plus its own, minus a
household-size effect: large households are poorer). Within each stratum the households are
ranked by that score, and the poverty line cuts the ranking where the person-weighted share
below it equals the stratum's target P0 (:mod:`api.demo.calibration`). The weighted P0 of each
kab/kota therefore equals its published value up to one household, exactly as a published
figure is the estimate of the real sample; the PSU effect gives the estimate a realistic
standard error (design effect about 1 + (psu_size - 1) · rho).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from api.demo.calibration import stratum_targets
from api.demo.frame import RegionFrame
from api.demo.rng import Draws
from api.demo.traits import (
    diploma,
    housing,
    logistic,
    named,
    programme_flags,
    sector,
    tilted,
)
from api.ingest.contracts import all_contracts

POPULATION_YEAR = 2025
POPULATION_GROWTH = 0.011  # a year; synthetic back-projection of the 2025 population
LOG_SPREAD = 0.6  # SD of log per-capita expenditure within a stratum
SIZE_EFFECT = 0.2  # welfare lost per extra member (in latent SD)
HOUSEHOLD_SIZES = list(range(1, 11))
SIZE_SHARES = [0.11, 0.20, 0.23, 0.22, 0.13, 0.065, 0.028, 0.011, 0.004, 0.002]
MEAN_SIZE = sum(s * p for s, p in zip(HOUSEHOLD_SIZES, SIZE_SHARES, strict=True))


@dataclass(frozen=True)
class SusenasDesign:
    per_root: float  # sample households per square root of a kab/kota's households
    psu_size: int = 10
    rho: float = 0.08  # intra-PSU correlation of welfare

    @classmethod
    def national(cls, frame: RegionFrame, households: int) -> SusenasDesign:
        """The design that samples ``households`` a year over all of ``frame`` (the whole
        country); a restricted frame then gets its share of the national sample."""
        roots = frame.desa.group_by("kab_code").agg(pl.col("households").sum().sqrt())
        return cls(per_root=households / float(roots["households"].sum()))


def strata(
    frame: RegionFrame, year: int, targets: pl.DataFrame, lines: pl.DataFrame, design: SusenasDesign
) -> pl.DataFrame:
    """One row per stratum of ``year``: size, population, PSUs, target P0 and poverty line."""
    growth = (1 + POPULATION_GROWTH) ** (year - POPULATION_YEAR)
    by_area = (
        frame.desa.group_by("kab_code", "urban")
        .agg(pl.col("households").sum(), pl.col("population").sum())
        .with_columns(
            pl.when(pl.col("urban")).then(1).otherwise(2).cast(pl.Int64).alias("urban"),
            (pl.col("population") * growth).alias("population"),
        )
    )
    kab_households = by_area.group_by("kab_code").agg(pl.col("households").sum().alias("kab_hh"))
    shares = by_area.group_by("kab_code").agg(
        (
            pl.col("population").filter(pl.col("urban") == 1).sum() / pl.col("population").sum()
        ).alias("urban_share")
    )
    year_targets = targets.filter(pl.col("year") == year)
    split = stratum_targets(year_targets, shares.with_columns(pl.lit(year).alias("year")))
    kabs = frame.kabs.select(
        pl.col("code").alias("kab_code"), pl.col("bps_code").alias("kab_bps"), "prov_bps"
    )
    return (
        by_area.join(kab_households, on="kab_code")
        .join(kabs, on="kab_code")
        .join(split.drop("year"), on=["kab_code", "urban"])
        .join(
            lines.filter(pl.col("year") == year).select("kab_code", "poverty_line"),
            on="kab_code",
        )
        .with_columns(
            (
                design.per_root
                * pl.col("kab_hh").sqrt()
                * pl.col("households")
                / pl.col("kab_hh")
                / design.psu_size
            )
            .round()
            .cast(pl.Int64)
            .clip(lower_bound=2)
            .alias("psus"),
        )
        .sort("kab_bps", "urban")
    )


def households(
    draws: Draws, frame_strata: pl.DataFrame, year: int, design: SusenasDesign
) -> pl.DataFrame:
    """The household file of one year (contract ``susenas_household``), with helper columns
    ``_key`` and ``_poverty`` that :func:`persons` needs; drop them before writing."""
    rows = (
        frame_strata.with_columns(pl.int_ranges(1, pl.col("psus") + 1).alias("psu"))
        .explode("psu")
        .with_columns(pl.int_ranges(1, design.psu_size + 1).alias("hh"))
        .explode("hh")
        .with_columns(
            (
                (
                    (
                        (pl.lit(year) * 10_000 + pl.col("kab_bps").cast(pl.Int64)) * 10
                        + pl.col("urban")
                    )
                    * 10_000
                    + pl.col("psu")
                )
                * 100
                + pl.col("hh")
            )
            .cast(pl.UInt64)
            .alias("_key"),
        )
        .with_columns((pl.col("_key") // 100).alias("_psu_key"))
    )
    key = pl.col("_key")
    size = draws.choice(key, "susenas.size", HOUSEHOLD_SIZES, SIZE_SHARES)
    latent = (
        math.sqrt(design.rho) * draws.normal(pl.col("_psu_key"), "susenas.psu")
        + math.sqrt(1 - design.rho) * draws.normal(key, "susenas.hh")
        - SIZE_EFFECT * (pl.col("hh_size") - MEAN_SIZE)
    )
    rows = rows.with_columns(size.alias("hh_size")).with_columns(latent.alias("_latent"))
    rows = _calibrate(rows)
    line = pl.col("poverty_line")
    raw = line * (LOG_SPREAD * (pl.col("_latent") - pl.col("_cut"))).exp()
    exp_pc = (
        pl.when(pl.col("_poor"))
        .then(raw.round().clip(upper_bound=line - 1))
        .otherwise(raw.round().clip(lower_bound=line + 1))
    )
    rural = pl.col("_rural")
    # Poverty score for traits: about N(0, 1) nationally, higher = poorer.
    rows = rows.with_columns(
        exp_pc.alias("exp_per_capita"),
        (pl.col("population") / pl.col("hh_size").sum().over("kab_code", "urban")).alias("weight"),
        pl.concat_str(pl.col("kab_bps"), pl.lit("-"), pl.col("urban")).alias("strata"),
        (pl.col("urban") == 2).cast(pl.Float64).alias("_rural"),
        pl.concat_str(
            pl.col("kab_bps"), pl.col("urban"), pl.col("psu").cast(pl.String).str.zfill(4)
        ).alias("psu"),
    ).with_columns((1.0 - (pl.col("exp_per_capita") / line).log() / LOG_SPREAD).alias("_poverty"))
    poverty = pl.col("_poverty")
    head_female = draws.bernoulli(key, "susenas.head_female", logistic(-1.9 + 0.25 * poverty))
    head_works = draws.bernoulli(key, "susenas.head_works", 0.9 - 0.05 * head_female.cast(pl.Int64))
    return (
        rows.lazy()
        .with_columns(
            pl.concat_str(
                pl.lit(str(year)),
                pl.col("kab_bps"),
                pl.col("psu").str.slice(4),
                pl.col("hh").cast(pl.String).str.zfill(2),
            ).alias("hh_id"),
            pl.col("prov_bps").alias("prov_code"),
            pl.col("kab_bps").alias("kab_code"),
            pl.lit(year).alias("year"),
            (
                8.0
                + 9.0
                * (0.5 * draws.normal(key, "susenas.area")).exp()
                * pl.col("hh_size").sqrt()
                * (1.0 - 0.12 * poverty).clip(0.4, 2.0)
            )
            .round(0)
            .clip(6, 1000)
            .alias("floor_area_m2"),
            *named(housing(draws, key, "susenas", poverty, rural)),
            *named(programme_flags(draws, key, "susenas", poverty)),
            pl.when(head_female).then(2).otherwise(1).alias("head_sex"),
            diploma(draws, key, "susenas.head_education", poverty, rural).alias("head_education"),
            pl.when(head_works)
            .then(sector(draws, key, "susenas.head_sector", poverty, rural))
            .alias("head_work_sector"),
        )
        .select([*HOUSEHOLD_COLUMNS, "_key", "_poverty"])
        .collect()
    )


HOUSEHOLD_COLUMNS = all_contracts()["susenas_household"].column_names


def _calibrate(rows: pl.DataFrame) -> pl.DataFrame:
    """Mark the poorest households of each stratum so their persons make up the target P0,
    and put the cut ``_cut`` halfway between the last poor and the first non-poor latent."""
    stratum = ["kab_code", "urban"]
    ranked = rows.sort([*stratum, "_latent"]).with_columns(
        (pl.col("hh_size").cum_sum().over(stratum) - pl.col("hh_size") / 2).alias("_mid"),
        pl.col("hh_size").sum().over(stratum).alias("_members"),
    )
    ranked = ranked.with_columns(
        (pl.col("_mid") < pl.col("p0") * pl.col("_members")).alias("_poor")
    )
    last_poor = pl.col("_latent").filter(pl.col("_poor")).max().over(stratum)
    first_rich = pl.col("_latent").filter(~pl.col("_poor")).min().over(stratum)
    cut = (
        pl.when(last_poor.is_null())
        .then(first_rich - 0.5)
        .when(first_rich.is_null())
        .then(last_poor + 0.5)
        .otherwise((last_poor + first_rich) / 2)
    )
    return ranked.with_columns(cut.alias("_cut")).sort("_key")


def persons(draws: Draws, homes: pl.DataFrame) -> pl.DataFrame:
    """Members of each household (contract ``susenas_person``); person 1 is the head."""
    base = (
        homes.select(
            "hh_id",
            "_key",
            "_poverty",
            "hh_size",
            "urban",
            "head_sex",
            "head_education",
            "head_work_sector",
        )
        .with_columns(pl.int_ranges(1, pl.col("hh_size") + 1).alias("person_no"))
        .explode("person_no")
    )
    key = (pl.col("_key") * 100 + pl.col("person_no")).cast(pl.UInt64)
    return members(draws, base, key, "susenas").select(PERSON_COLUMNS)


PERSON_COLUMNS = all_contracts()["susenas_person"].column_names


def members(
    draws: Draws, base: pl.DataFrame, key: pl.Expr, prefix: str, age_shift: int = 0
) -> pl.DataFrame:
    """Demography, schooling, work and insurance of household members.

    ``base`` has one row per member with ``person_no``, ``hh_size``, ``urban``, ``_poverty``,
    ``head_sex``, ``head_education`` and ``head_work_sector``; the head (person 1) keeps the
    household's head values. Shared by Susenas and DTKS persons; ``age_shift`` ages the
    same people for a later registry release (their draws do not change).
    """
    poverty = pl.col("_poverty")
    rural = pl.col("_rural")
    is_head = pl.col("person_no") == 1
    has_spouse = draws.bernoulli(pl.col("_key").cast(pl.UInt64), f"{prefix}.spouse", 0.85) & (
        pl.col("head_sex") == 1
    )
    relation = (
        pl.when(is_head)
        .then(1)
        .when((pl.col("person_no") == 2) & has_spouse)
        .then(2)
        .otherwise(
            draws.choice(key, f"{prefix}.relation", [3, 4, 5, 6, 8], [0.8, 0.03, 0.09, 0.05, 0.03])
        )
    )
    head_age = (46 + 12 * draws.normal(pl.col("_key").cast(pl.UInt64), f"{prefix}.head_age")).clip(
        20, 90
    )
    u_age = draws.uniform(key, f"{prefix}.age")
    age = (
        pl.when(pl.col("relation_to_head") == 1)
        .then(head_age)
        .when(pl.col("relation_to_head") == 2)
        .then((head_age - 3 + 5 * draws.normal(key, f"{prefix}.spouse_age")).clip(17, 95))
        .when(pl.col("relation_to_head") == 3)
        .then(u_age * (head_age - 17).clip(1, 32))
        .when(pl.col("relation_to_head") == 4)
        .then(20 + u_age * 20)
        .when(pl.col("relation_to_head") == 5)
        .then(u_age * 14)
        .when(pl.col("relation_to_head") == 6)
        .then((head_age + 22 + u_age * 10).clip(upper_bound=105))
        .otherwise(u_age * 70)
        .floor()
        .cast(pl.Int64)
        + age_shift
    ).clip(upper_bound=120)
    sex = (
        pl.when(pl.col("relation_to_head") == 1)
        .then(pl.col("head_sex"))
        .when(pl.col("relation_to_head") == 2)
        .then(3 - pl.col("head_sex"))
        .otherwise(draws.choice(key, f"{prefix}.sex", [1, 2], [0.51, 0.49]))
    )
    # Lazy, so common sub-expressions (the same draw used in several branches) run once.
    frame = (
        base.lazy()
        .with_columns(
            relation.alias("relation_to_head"),
            (pl.col("urban") == 2).cast(pl.Float64).alias("_rural"),
        )
        .with_columns(age.alias("age"), sex.alias("sex"))
    )
    a = pl.col("age")
    enrol_p = (
        pl.when(a < 5)
        .then(0.0)
        .when(a <= 6)
        .then(0.45)
        .when(a <= 12)
        .then(0.99 - 0.01 * poverty.clip(0, 3))
        .when(a <= 15)
        .then(0.94 - 0.04 * poverty.clip(0, 3))
        .when(a <= 18)
        .then(0.74 - 0.09 * poverty.clip(0, 3))
        .when(a <= 24)
        .then(0.25 - 0.07 * poverty.clip(-2, 3))
        .otherwise(0.0)
    )
    enrolled = draws.bernoulli(key, f"{prefix}.enrolled", enrol_p)
    never = draws.bernoulli(
        key, f"{prefix}.never", (0.02 + 0.03 * poverty + 0.002 * (a - 40)).clip(0.003, 0.4)
    )
    participation = (
        pl.when(a < 5).then(None).when(enrolled).then(2).when((a <= 6) | never).then(1).otherwise(3)
    )
    adult_diploma = diploma(draws, key, f"{prefix}.diploma", poverty + 0.02 * (a - 40), rural)
    # Children's diplomas follow their age; adults draw theirs (the head keeps the household's).
    by_age = (
        pl.when(a < 13).then(1).when(a < 16).then(2).when(a < 19).then(3).otherwise(adult_diploma)
    )
    highest = (
        pl.when(a < 5)
        .then(None)
        .when(pl.col("relation_to_head") == 1)
        .then(pl.col("head_education"))
        .when(participation == 1)
        .then(1)
        .when(a < 25)
        .then(pl.min_horizontal(by_age, adult_diploma))
        .otherwise(adult_diploma)
    )
    level = (
        pl.when(participation == 2)
        .then(pl.when(a <= 12).then(1).when(a <= 15).then(2).when(a <= 18).then(3).otherwise(4))
        .when(participation == 3)
        .then(
            pl.col("highest_diploma").replace_strict(
                {1: 1, 2: 2, 3: 3, 4: 3, 5: 3, 6: 4, 7: 4, 8: 4}, default=None
            )
        )
    )
    work_p = (
        pl.when(a < 10)
        .then(0.0)
        .when(a < 15)
        .then(0.04 + 0.03 * poverty.clip(0, 3))
        .when(a < 65)
        .then(pl.when(pl.col("sex") == 1).then(0.83).otherwise(0.52))
        .otherwise(0.35)
    )
    works = (
        pl.when(pl.col("relation_to_head") == 1)
        .then(pl.col("head_work_sector").is_not_null())
        .otherwise(draws.bernoulli(key, f"{prefix}.works", work_p))
    )
    insurance = draws.uniform(key, f"{prefix}.insurance").pipe(
        lambda u: (
            pl.when(u < logistic(-0.6 + 1.0 * poverty))
            .then(1)
            .when(u < 0.72 + 0.05 * (-poverty).clip(0, 2))
            .then(2)
            .when(u < 0.75 + 0.05 * (-poverty).clip(0, 2))
            .then(3)
            .otherwise(4)
        )
    )
    certificate = (
        pl.when(a > 17).then(None).otherwise(tilted_certificate(draws, key, prefix, poverty, rural))
    )
    return (
        frame.with_columns(
            highest.alias("highest_diploma"), participation.alias("school_participation")
        )
        .with_columns(
            level.alias("school_level"),
            pl.when(a < 5)
            .then(None)
            .otherwise(
                draws.bernoulli(
                    key,
                    f"{prefix}.literate",
                    (
                        0.995
                        - 0.04 * poverty.clip(0, 3)
                        - 0.004 * (a - 50).clip(0, 40)
                        - 0.4 * (pl.col("highest_diploma") == 1).cast(pl.Float64)
                    ).clip(0.05, 0.999),
                )
            )
            .alias("literate"),
            pl.when(a < 5).then(None).otherwise(works).alias("worked_last_week"),
            pl.when(a < 5)
            .then(None)
            .when(pl.col("relation_to_head") == 1)
            .then(pl.col("head_work_sector"))
            .when(works)
            .then(sector(draws, key, f"{prefix}.sector", poverty, rural))
            .alias("work_sector"),
            insurance.alias("health_insurance"),
            certificate.alias("birth_certificate"),
            draws.bernoulli(
                key, f"{prefix}.disability", (0.01 + 0.0009 * (a - 30).clip(0, 60)).clip(0, 0.2)
            ).alias("disability"),
            pl.lit(None, pl.Float64).alias("person_weight"),
        )
        .collect()
    )


def tilted_certificate(
    draws: Draws, key: pl.Expr, prefix: str, poverty: pl.Expr, rural: pl.Expr
) -> pl.Expr:
    return tilted(
        draws,
        key,
        f"{prefix}.certificate",
        [1, 2, 3, 4],
        [0.80, 0.10, 0.09, 0.01],
        [-0.3, 0.1, 0.9, 0.4],
        poverty,
        [-0.2, 0.2, 0.6, 0.3],
        rural,
    )
