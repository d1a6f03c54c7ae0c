"""Catalogue indicators computed from microdata, for every domain at once, with their SEs.

An indicator is a weighted mean of a 0/1 variable (MEASURES.md, "Derived indicators"): the
numerator condition over the population the denominator condition defines, with the
linearised SE of a ratio. Person indicators from the person file take the design (strata,
PSU), region and household columns from the household frame by ``hh_id``.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from api.errors import InvalidParameterError
from api.measures.catalogue import Dataset, Indicator, Unit
from api.measures.conditions import columns_of, compile_condition
from api.measures.domains import (
    DERIVED_BREAKDOWNS,
    DOMAIN_ID,
    WELFARE_BREAKDOWNS,
    domain_keys,
    domain_rows,
    domain_table,
    parse_levels,
    sort_domains,
    with_domain_id,
)
from api.measures.errors import (
    SHOWN,
    InvalidBreakdownError,
    InvalidMicrodataError,
    MissingColumnsError,
)
from api.measures.frames import ROW, Sample, V, W, as_sample
from api.measures.variance import LonelyPsu, linearise, with_reliability
from api.regions.levels import Level

PERSON_WEIGHT = "person_weight"
WITH_SE = ("value", "count")
COUNTS = ("n_obs", "n_hh", "n_psu", "n_strata", "n_missing")


def indicator_estimates(
    indicator: Indicator,
    households: pl.DataFrame | Sample,
    persons: pl.DataFrame | None = None,
    *,
    levels: Sequence[Level | str] = (Level.national,),
    breakdowns: Sequence[str] = (),
    regions: Sequence[str] | None = None,
    lonely_psu: LonelyPsu = LonelyPsu.fail,
) -> pl.DataFrame:
    """One catalogue indicator for each domain (levels × breakdowns, as in poverty_measures).

    ``households`` is the ``susenas_household`` frame of the whole sample (with
    ``exp_per_capita`` when a quintile or decile breakdown is asked), or a prepared
    :class:`~api.measures.frames.Sample`; ``persons`` the
    ``susenas_person`` frame, needed when the indicator's dataset is the person file.

    Columns: ``level``, ``region_code``, the breakdowns, ``indicator`` (the code); ``value``
    (the share, a fraction) and ``count`` (the estimated number of households or persons
    counted), each followed by ``_se``, ``_ci_low``, ``_ci_high``, ``_rse_pct``,
    ``_unreliable``; ``pop`` (the estimated population of the denominator); ``n_obs`` (sample
    rows behind the value), ``n_hh``, ``n_psu``, ``n_strata``; ``n_missing`` (rows of the
    population left out because the numerator's items were missing).

    Raises ``InvalidBreakdownError`` for a breakdown the entry does not list, the input
    errors of ``prepare_households``, ``InvalidMicrodataError`` for persons without a household
    or a bad ``person_weight``, and ``SinglePsuStratumError``.
    """
    not_offered = [b for b in breakdowns if b not in indicator.breakdowns]
    if not_offered:
        raise InvalidBreakdownError(
            f"Indicator {indicator.code} cannot be broken down by {', '.join(not_offered)}; "
            f"it offers {', '.join(indicator.breakdowns) or 'no breakdown'}.",
            breakdowns=not_offered,
        )
    not_estimated = [lv for lv in parse_levels(levels) if lv not in indicator.levels]
    if not_estimated:
        raise InvalidParameterError(
            f"Indicator {indicator.code} is not estimated at level(s) "
            f"{', '.join(lv.value for lv in not_estimated)}.",
            parameter="level",
        )
    welfare = any(b in WELFARE_BREAKDOWNS for b in breakdowns)
    sample = as_sample(households, welfare=welfare)
    prepared, design = sample.households, sample.design
    on_person_file = indicator.dataset is Dataset.susenas_person
    household_level = [b for b in breakdowns if b in DERIVED_BREAKDOWNS or b in prepared.columns]
    rows = domain_rows(prepared, levels, household_level, regions)
    if on_person_file:
        rows = _join_persons(persons, prepared, rows)
        weight = pl.coalesce(pl.col(PERSON_WEIGHT), pl.col(W))
    else:
        weight = pl.col(V if indicator.unit is Unit.person else W)
    missing = [b for b in breakdowns if b not in rows.columns]
    if missing:
        raise InvalidBreakdownError(
            f"The data has no column for breakdown(s) {', '.join(missing)}.", breakdowns=missing
        )
    _require_columns(indicator, rows)
    keys = domain_keys(breakdowns)
    if indicator.denominator_condition is not None:
        rows = rows.filter(compile_condition(indicator.denominator_condition))
    x = compile_condition(indicator.numerator_condition).cast(pl.Float64)
    rows = with_domain_id(rows.with_columns(x.alias("_x")), keys)
    missing_counts = rows.group_by(DOMAIN_ID).agg(
        pl.col("_x").is_null().sum().cast(pl.Int64).alias("n_missing")
    )
    estimates = linearise(
        rows.filter(pl.col("_x").is_not_null()),
        weight=weight,
        design=design,
        ratios={"value": pl.col("_x")},
        totals={"count": pl.col("_x")},
        lonely_psu=lonely_psu,
        household_id="hh_id" if on_person_file else None,
    )
    # A domain whose every row has a missing item keeps its row, with null estimates.
    result = (
        domain_table(rows, keys)
        .join(missing_counts, on=DOMAIN_ID)
        .join(estimates, on=DOMAIN_ID, how="left")
        .with_columns(
            pl.lit(indicator.code).alias("indicator"),
            *(pl.col(c).fill_null(0) for c in ("n_obs", "n_hh", "n_psu", "n_strata")),
        )
        .select(
            *keys,
            "indicator",
            *(c for n in WITH_SE for c in (n, f"{n}_se")),
            "pop",
            *COUNTS,
        )
    )
    return sort_domains(with_reliability(result, WITH_SE), keys)


def _join_persons(
    persons: pl.DataFrame | None, sample: pl.DataFrame, households: pl.DataFrame
) -> pl.DataFrame:
    """Person rows with their household's columns (one copy per domain level).

    ``sample`` is the whole household sample (every person must belong to one of its
    households), ``households`` its rows in the requested domains.
    """
    if persons is None:
        raise InvalidParameterError(
            "This indicator is computed from the person file; give the susenas_person frame.",
            parameter="persons",
        )
    if "hh_id" not in persons.columns or "hh_id" not in households.columns:
        raise MissingColumnsError(["hh_id"], "joining persons to their households")
    # The household's own columns win over same-named ones a person file may repeat.
    own = [c for c in persons.columns if c == "hh_id" or c not in households.columns]
    people = persons.select(own).with_columns(pl.col("hh_id").cast(pl.String))
    if PERSON_WEIGHT in people.columns:
        people = people.with_columns(pl.col(PERSON_WEIGHT).cast(pl.Float64, strict=False))
        bad = people.filter(
            pl.col(PERSON_WEIGHT).is_not_null()
            & ~(pl.col(PERSON_WEIGHT).is_finite() & (pl.col(PERSON_WEIGHT) > 0))
        )
        if bad.height:
            raise InvalidMicrodataError(
                PERSON_WEIGHT,
                "a weight that is not a positive number",
                _labels(bad),
                bad.height,
                subject="person(s)",
            )
    else:
        people = people.with_columns(pl.lit(None, dtype=pl.Float64).alias(PERSON_WEIGHT))
    known = sample.select(pl.col("hh_id").unique())
    orphans = people.join(known, on="hh_id", how="anti")
    if orphans.height:
        raise InvalidMicrodataError(
            "hh_id",
            "a household id not in the household file",
            _labels(orphans),
            orphans.height,
            subject="person(s)",
        )
    return people.join(households.drop(ROW), on="hh_id", how="inner")


def _labels(persons: pl.DataFrame) -> list[str]:
    number = pl.col("person_no") if "person_no" in persons.columns else pl.lit("?")
    return persons.head(SHOWN).select(pl.format("{}/{}", "hh_id", number)).to_series().to_list()


def _require_columns(indicator: Indicator, rows: pl.DataFrame) -> None:
    needed = columns_of(indicator.numerator_condition)
    if indicator.denominator_condition is not None:
        needed |= columns_of(indicator.denominator_condition)
    missing = sorted(needed - set(rows.columns))
    if missing:
        raise MissingColumnsError(missing, f"indicator {indicator.code}")
