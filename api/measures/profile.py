"""Profile of the poor: who the very poor, poor, near poor and non-poor are, with SEs.

For every domain and every value of one household characteristic (sector of the head's work,
head's education, sex of the head, household size band, urban/rural, or any other breakdown),
the number of people in each welfare band and two shares, each with its linearised SE. It is
the table that shows, for instance, that a province's poor are mostly rural (``share_of_band``
of urban = 2 among the poor) even where the urban poverty rate rose faster (``rate``).

The bands partition the population, so that each table adds up to 100%:

- ``very_poor``: y < 0.8 z;
- ``poor``: 0.8 z ≤ y < z (poor but not very poor; all the poor of P0 are ``very_poor`` +
  ``poor``);
- ``near_poor``: z ≤ y < 1.2 z;
- ``non_poor``: y ≥ 1.2 z.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import polars as pl

from api.measures.domains import (
    DOMAIN_ID,
    domain_keys,
    domain_rows,
    domain_table,
    sort_domains,
    with_domain_id,
)
from api.measures.errors import InvalidBreakdownError
from api.measures.frames import Sample, V, Y, Z, as_sample
from api.measures.variance import LonelyPsu, linearise, with_reliability
from api.regions.levels import Level

BANDS = ("very_poor", "poor", "near_poor", "non_poor")
BAND = "band"
BAND_TYPE = pl.Enum(BANDS)
CHARACTERISTICS = ("head_work_sector", "head_education", "head_sex", "hh_size_band", "urban")
MEASURES = ("pop", "share_of_band", "rate")


def welfare_band() -> pl.Expr:
    """The band of a household (factors as 5y < 4z, 5y < 6z; see poverty.band_flags)."""
    y, z = pl.col(Y), pl.col(Z)
    return (
        pl.when(5 * y < 4 * z)
        .then(pl.lit("very_poor"))
        .when(y < z)
        .then(pl.lit("poor"))
        .when(5 * y < 6 * z)
        .then(pl.lit("near_poor"))
        .otherwise(pl.lit("non_poor"))
        .cast(BAND_TYPE)
    )


def poverty_profile(
    households: pl.DataFrame | Sample,
    characteristic: str,
    *,
    levels: Sequence[Level | str] = (Level.national,),
    breakdowns: Sequence[str] = (),
    regions: Sequence[str] | None = None,
    poverty_lines: pl.DataFrame | None = None,
    lonely_psu: LonelyPsu = LonelyPsu.fail,
) -> pl.DataFrame:
    """One row per domain × value of ``characteristic`` × welfare band.

    Input as :func:`~api.measures.poverty.poverty_measures`; ``characteristic`` is one of
    :data:`CHARACTERISTICS` or any other breakdown of the data.

    Columns: the domain keys, ``characteristic``'s column, ``band``; ``pop`` (people in the
    band with this characteristic, a total), ``share_of_band`` (their share of the band's
    people in the domain: where the poor are) and ``rate`` (their share of the people with this
    characteristic: how poor they are), each followed by ``_se``, ``_ci_low``, ``_ci_high``,
    ``_rse_pct``, ``_unreliable``; ``n_hh`` (sample households in the cell). ``share_of_band``
    is null when the domain has nobody in the band.
    """
    if characteristic in breakdowns:
        raise InvalidBreakdownError(
            f"'{characteristic}' is the profiled characteristic; drop it from the breakdowns.",
            breakdown=characteristic,
        )
    sample = as_sample(households, welfare=True, poverty_line=True, poverty_lines=poverty_lines)
    prepared, design = sample.households, sample.design
    keys = domain_keys(breakdowns)
    rows = domain_rows(prepared, levels, [*breakdowns, characteristic], regions).with_columns(
        welfare_band().alias(BAND)
    )
    estimate = partial(linearise, weight=pl.col(V), design=design, lonely_psu=lonely_psu)
    cell = [*keys, characteristic, BAND]

    # Per domain × characteristic: the rate and number of people of each band.
    by_value = with_domain_id(rows, [*keys, characteristic])
    in_band = {band: pl.col(BAND) == band for band in BANDS}
    rates = estimate(
        by_value,
        ratios={f"rate_{b}": flag for b, flag in in_band.items()},
        totals={f"pop_{b}": flag for b, flag in in_band.items()},
    ).join(domain_table(by_value, [*keys, characteristic]), on=DOMAIN_ID)
    per_band = pl.concat(
        rates.select(
            *keys,
            characteristic,
            pl.lit(b, dtype=BAND_TYPE).alias(BAND),
            *(pl.col(f"{m}_{b}{s}").alias(f"{m}{s}") for m in ("pop", "rate") for s in ("", "_se")),
        )
        for b in BANDS
    )

    # Per domain × band: the share of each value of the characteristic.
    by_band = with_domain_id(rows, [*keys, BAND])
    # [None] when no domain is left (regions not in the data): the answer is then empty.
    values = rows.get_column(characteristic).unique().sort(nulls_last=True).to_list() or [None]
    has_value = {
        f"share_{i}": pl.col(characteristic).is_null()
        if value is None
        else pl.col(characteristic) == value
        for i, value in enumerate(values)
    }
    shares = estimate(by_band, ratios=has_value).join(
        domain_table(by_band, [*keys, BAND]), on=DOMAIN_ID
    )
    per_value = pl.concat(
        shares.select(
            *keys,
            BAND,
            pl.lit(value, dtype=rows.schema[characteristic]).alias(characteristic),
            pl.col(f"share_{i}").alias("share_of_band"),
            pl.col(f"share_{i}_se").alias("share_of_band_se"),
        )
        for i, value in enumerate(values)
    )

    counts = rows.group_by(cell).agg(pl.len().cast(pl.Int64).alias("n_hh"))
    table = (
        per_band.join(per_value, on=cell, how="left", nulls_equal=True)
        .join(counts, on=cell, how="left", nulls_equal=True)
        .with_columns(pl.col("n_hh").fill_null(0))
        .select(
            *cell,
            *(c for m in MEASURES for c in (m, f"{m}_se")),
            "n_hh",
        )
    )
    return sort_domains(with_reliability(table, MEASURES), [*keys, characteristic, BAND])
