"""Synthetic DTKS/DTSEN: the poorer part of every desa's households, in yearly releases.

Each desa follows a fixed set of households (its "universe", ``universe_factor`` times the
registry size) with stable ids. A household's welfare has a permanent part and a yearly part;
each release holds the poorest households of the desa in that year, so chronically poor
households (low permanent welfare) are in every release and in the lowest deciles, while
others move in, out and between deciles. The registry holds more of a poorer desa's
households (``base_share + share_slope × desa poverty``; about 27 M households nationally).

Welfare deciles are national: a household's rank in its desa is moved by how much poorer or
richer the desa is than the nation, plus proxy-means-test noise. Housing follows permanent
welfare and the desa's Podes facts (a desa whose main water source is a river has more
households drinking river water); programme receipt follows the decile of the release.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from api.demo.identity import address, family_card, nik, person_name
from api.demo.podes import NATIONAL_P0
from api.demo.rng import Draws, normal_cdf, probit
from api.demo.susenas import HOUSEHOLD_SIZES, members
from api.demo.traits import housing, logistic, named, tilted
from api.ingest.contracts import all_contracts

# Registry families are a little larger than the average household.
DTKS_SIZE_SHARES = [0.08, 0.16, 0.22, 0.24, 0.15, 0.08, 0.04, 0.02, 0.007, 0.003]
PODES_TO_REGSOSEK_WATER = {1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5, 7: 7, 8: 9, 9: 10, 10: 11}
PODES_TO_REGSOSEK_TOILET = {1: 1, 2: 2, 3: 4, 4: 6}
AGE_REFERENCE_YEAR = 2021  # ages are drawn as of 1 July of this year


@dataclass(frozen=True)
class DtksDesign:
    releases: tuple[int, ...] = (2021, 2022, 2023, 2024)
    universe_factor: float = 1.3
    persistence: float = 0.85  # weight of permanent welfare in a year's welfare
    base_share: float = 0.17
    share_slope: float = 1.35
    pmt_noise: float = 0.3


def universe(draws: Draws, links: pl.DataFrame, design: DtksDesign) -> pl.DataFrame:
    """Every household a desa's registry may hold, with the traits that do not change.

    ``links`` has the desa frame columns plus the Podes links of
    :func:`api.demo.podes.household_links`.
    """
    share = (design.base_share + design.share_slope * pl.col("desa_poor")).clip(0.08, 0.9)
    sized = links.with_columns(
        (pl.col("households") * share).round().cast(pl.Int64).clip(lower_bound=1).alias("registry")
    ).with_columns(
        (pl.col("registry") * design.universe_factor)
        .ceil()
        .cast(pl.Int64)
        .clip(upper_bound=pl.col("households").clip(lower_bound=pl.col("registry")))
        .alias("followed")
    )
    key = pl.col("_key")
    permanent = draws.normal(key, "dtks.permanent")
    # Permanent welfare as a national z-score: its rank among the followed households is a
    # rank among the desa's poorest, moved by the desa's poverty relative to the nation.
    followed_share = pl.col("followed") / pl.col("households")
    rows = (
        sized.with_columns(
            pl.int_ranges(1, pl.col("followed") + 1).alias("serial"),
            (probit(pl.lit(NATIONAL_P0)) - probit(pl.col("desa_poor"))).alias("_shift"),
            (~pl.col("urban")).cast(pl.Float64).alias("_rural"),
        )
        .explode("serial")
        .with_columns((pl.col("key") * 100_000 + pl.col("serial")).cast(pl.UInt64).alias("_key"))
        .with_columns(permanent.alias("_permanent"))
        # Materialised: probit() repeats its argument in every branch.
        .with_columns((normal_cdf(pl.col("_permanent")) * followed_share).alias("_quantile"))
    )
    z_perm = probit(pl.col("_quantile")) + pl.col("_shift")
    head_female = draws.bernoulli(key, "dtks.head_female", 0.18)
    issued = pl.date(2010, 1, 1) + pl.duration(
        days=(draws.uniform(key, "dtks.kk_issued") * 3650).floor().cast(pl.Int64)
    )
    water = pl.when(draws.bernoulli(key, "dtks.water_from_desa", 0.45)).then(
        pl.col("desa_water").replace_strict(PODES_TO_REGSOSEK_WATER, return_dtype=pl.Int64)
    )
    toilet = pl.when(draws.bernoulli(key, "dtks.toilet_from_desa", 0.4)).then(
        pl.col("desa_toilet").replace_strict(PODES_TO_REGSOSEK_TOILET, return_dtype=pl.Int64)
    )
    no_power = draws.bernoulli(key, "dtks.no_power", (2.0 * pl.col("desa_no_power")).clip(0, 0.95))
    frame = (
        rows.lazy()
        .with_columns(
            (-z_perm).alias("_poverty"),
            pl.when(head_female).then(2).otherwise(1).alias("head_sex"),
            draws.choice(key, "dtks.size", HOUSEHOLD_SIZES, DTKS_SIZE_SHARES).alias("hh_size"),
            pl.concat_str(
                pl.col("code").str.replace_all(".", "", literal=True),
                pl.col("serial").cast(pl.String).str.zfill(5),
            ).alias("hh_id"),
            pl.col("code").alias("desa_code"),
            pl.col("kab_name").str.replace(r"^(Kabupaten|Kota) ", "").alias("birth_place"),
            address(draws, key, pl.col("name")).alias("address"),
            family_card(draws, key, pl.col("kec_code"), issued).alias("no_kk"),
        )
        .with_columns(
            person_name(draws, key, pl.col("head_sex"), "dtks.head").alias("head_name"),
            *named(housing(draws, key, "dtks", pl.col("_poverty"), pl.col("_rural"))),
            *named(_assets(draws, key, pl.col("_poverty"))),
            (6.0 + 7.0 * (0.45 * draws.normal(key, "dtks.area")).exp() * pl.col("hh_size").sqrt())
            .round(0)
            .alias("floor_area_m2"),
        )
        .with_columns(
            pl.coalesce(water, pl.col("drinking_water_source")).alias("drinking_water_source"),
            pl.coalesce(toilet, pl.col("toilet_facility")).alias("toilet_facility"),
            pl.when(no_power).then(4).otherwise(pl.col("lighting_source")).alias("lighting_source"),
        )
        .with_columns(
            # Only a PLN meter has an installed power; poorer homes have the smallest.
            pl.when(pl.col("lighting_source") == 1)
            .then(draws.choice(key, "dtks.power", [1, 2, 3, 4, 5], [0.45, 0.42, 0.09, 0.03, 0.01]))
            .alias("installed_power"),
            pl.when(pl.col("toilet_facility") == 6)
            .then(None)
            .otherwise(pl.col("toilet_type"))
            .alias("toilet_type"),
            pl.when(pl.col("toilet_facility") == 6)
            .then(None)
            .otherwise(pl.col("feces_disposal"))
            .alias("feces_disposal"),
            _cooking_fuel(draws, key).alias("cooking_fuel"),
        )
    )
    return frame.collect()


def _cooking_fuel(draws: Draws, key: pl.Expr) -> pl.Expr:
    return tilted(
        draws,
        key,
        "dtks.fuel",
        list(range(1, 13)),
        [0.01, 0.02, 0.02, 0.72, 0.005, 0.002, 0.02, 0.001, 0.01, 0.17, 0.005, 0.02],
        [-1.0, -0.8, -1.0, -0.1, -0.5, 0.0, 0.2, 0.0, 0.5, 0.9, 0.2, 0.0],
        pl.col("_poverty"),
    )


def _assets(draws: Draws, key: pl.Expr, poverty: pl.Expr) -> dict[str, pl.Expr]:
    def owns(name: str, intercept: float, slope: float) -> pl.Expr:
        return draws.bernoulli(key, f"dtks.asset.{name}", logistic(intercept - slope * poverty))

    return {
        "has_gas_cylinder": owns("gas", -1.5, 0.8),
        "has_refrigerator": owns("fridge", 0.2, 0.9),
        "has_air_conditioner": owns("ac", -3.0, 1.0),
        "has_water_heater": owns("heater", -4.0, 1.0),
        "has_landline": owns("landline", -4.0, 0.6),
        "has_television": owns("tv", 1.5, 0.8),
        "has_gold": owns("gold", -1.2, 0.8),
        "has_computer": owns("computer", -2.5, 0.9),
        "has_motorcycle": owns("motorcycle", 1.2, 0.7),
        "has_bicycle": owns("bicycle", -0.8, 0.1),
        "has_car": owns("car", -3.5, 1.0),
        "has_boat": owns("boat", -4.0, -0.2),
        "has_motorboat": owns("motorboat", -4.5, -0.1),
        "has_smartphone": owns("smartphone", 1.5, 0.7),
        "has_land": owns("land", -0.3, 0.2),
        "has_house_elsewhere": owns("house", -3.5, 0.8),
    }


HOUSEHOLD_COLUMNS = all_contracts()["dtks_household"].column_names


def release(draws: Draws, followed: pl.DataFrame, year: int, design: DtksDesign) -> pl.DataFrame:
    """The registry of one release: the desa's poorest followed households that year.

    Keeps helper columns ``_key``, ``_poverty``, ``kec_code``, ``urban`` and ``head_sex`` for
    :func:`persons`; :data:`HOUSEHOLD_COLUMNS` is what the contract file holds.
    """
    year_key = pl.col("_key") * 100 + (year % 100)
    transient = draws.normal(year_key, "dtks.transient")
    welfare = (
        design.persistence * pl.col("_permanent") + math.sqrt(1 - design.persistence**2) * transient
    )
    ranked = (
        followed.lazy()
        .with_columns(welfare.alias("_welfare"))
        .with_columns(pl.col("_welfare").rank("ordinal").over("desa_code").alias("_rank"))
        .filter(pl.col("_rank") <= pl.col("registry"))
        .with_columns(((pl.col("_rank") - 0.5) / pl.col("households")).alias("_desa_quantile"))
    )
    national = probit(pl.col("_desa_quantile")) + pl.col("_shift")
    noisy = national + design.pmt_noise * draws.normal(year_key, "dtks.pmt")
    decile = (normal_cdf(noisy) * 10).ceil().cast(pl.Int64).clip(1, 10)
    d = pl.col("welfare_decile").cast(pl.Float64) - 1

    def gets(name: str, intercept: float, slope: float) -> pl.Expr:
        return draws.bernoulli(year_key, f"dtks.{name}", logistic(intercept - slope * d))

    return (
        ranked.with_columns(decile.alias("welfare_decile"), pl.lit(year).alias("release_year"))
        .with_columns(
            gets("pkh", 0.2, 0.5).alias("receives_pkh"),
            gets("bpnt", 1.2, 0.45).alias("receives_bpnt"),
            gets("blt", -1.2, 0.3).alias("receives_blt"),
            gets("pbi_jkn", 1.8, 0.4).alias("receives_pbi_jkn"),
            gets("pip", -0.6, 0.3).alias("receives_pip"),
        )
        .sort("hh_id")
        .collect()
    )


PERSON_COLUMNS = all_contracts()["dtks_person"].column_names

_DIPLOMA_TO_LEVEL = {2: 3, 3: 8, 4: 13, 5: 15, 6: 18, 7: 19, 8: 21}
_ENROLLED_LEVEL = {1: 3, 2: 8, 3: 13, 4: 19}


def persons(draws: Draws, homes: pl.DataFrame, year: int) -> pl.DataFrame:
    """Members of one release's households (contract ``dtks_person``), with synthetic NIK."""
    base = (
        homes.select(
            "hh_id",
            "_key",
            "_poverty",
            "hh_size",
            "kec_code",
            "birth_place",
            pl.when(pl.col("urban")).then(1).otherwise(2).alias("urban"),
            "head_sex",
            pl.lit(None, pl.Int64).alias("head_education"),
            pl.lit(None, pl.Int64).alias("head_work_sector"),
            "receives_pip",
        )
        .with_columns(pl.int_ranges(1, pl.col("hh_size") + 1).alias("person_no"))
        .explode("person_no")
    )
    key = (pl.col("_key") * 100 + pl.col("person_no")).cast(pl.UInt64)
    shift = year - AGE_REFERENCE_YEAR
    people = members(draws, base.drop("receives_pip"), key, "dtks", age_shift=shift).with_columns(
        base["receives_pip"]
    )
    age_then = pl.col("age") - shift
    birth = pl.date(AGE_REFERENCE_YEAR, 7, 1) - pl.duration(
        days=(age_then * 365.25 + 1 + draws.uniform(key, "dtks.birthday") * 364)
        .floor()
        .cast(pl.Int64)
    )
    a = pl.col("age")
    working = pl.col("worked_last_week").fill_null(value=False)
    agri = pl.col("work_sector") == 1
    return (
        people.lazy()
        .with_columns(birth.alias("birth_date"))
        .with_columns(
            pl.concat_str(pl.col("hh_id"), pl.col("person_no").cast(pl.String).str.zfill(2)).alias(
                "person_id"
            ),
            nik(draws, key, pl.col("kec_code"), pl.col("birth_date"), pl.col("sex")).alias("nik"),
            person_name(draws, key, pl.col("sex"), "dtks.person").alias("name"),
            pl.when(pl.col("relation_to_head").is_in([1, 2]))
            .then(2)
            .when(a < 18)
            .then(1)
            .when(a >= 65)
            .then(draws.choice(key, "dtks.marital_old", [2, 4], [0.6, 0.4]))
            .otherwise(draws.choice(key, "dtks.marital", [1, 2, 3], [0.55, 0.4, 0.05]))
            .alias("marital_status"),
            pl.when(pl.col("school_participation") == 2)
            .then(pl.col("school_level").replace_strict(_ENROLLED_LEVEL, default=None))
            .otherwise(pl.col("highest_diploma").replace_strict(_DIPLOMA_TO_LEVEL, default=None))
            .alias("education_level"),
            pl.when(a < 30)
            .then(1)
            .otherwise(
                draws.choice(
                    key,
                    "dtks.chronic",
                    [1, 2, 6, 3, 5, 13, 18],
                    [0.78, 0.1, 0.04, 0.03, 0.02, 0.02, 0.01],
                )
            )
            .alias("chronic_disease"),
            pl.when(working)
            .then(
                pl.when(agri)
                .then(draws.choice(key, "dtks.status_agri", [1, 2, 6, 8], [0.35, 0.2, 0.3, 0.15]))
                .otherwise(
                    draws.choice(key, "dtks.status", [1, 4, 7, 8, 5], [0.3, 0.4, 0.15, 0.1, 0.05])
                )
            )
            .alias("employment_status"),
            pl.when(working)
            .then((38 + 12 * draws.normal(key, "dtks.hours")).round().clip(1, 98).cast(pl.Int64))
            .alias("hours_worked"),
            (pl.col("health_insurance") == 1).alias("pbi_jkn"),
            (
                pl.col("receives_pip")
                & (pl.col("school_participation") == 2)
                & (a >= 6)
                & (a <= 21)
            ).alias("receives_pip"),
        )
        .select(PERSON_COLUMNS)
        .collect()
    )
