"""Poverty and inequality measures per domain, with their reliability (MEASURES.md)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from api.measures.domains import (
    DOMAIN_ID,
    domain_keys,
    domain_rows,
    domain_table,
    sort_domains,
    with_domain_id,
)
from api.measures.frames import ZX, Sample, V, Y, Z, as_sample
from api.measures.inequality import distribution
from api.measures.variance import LonelyPsu, linearise, with_reliability
from api.regions.levels import Level

# Measures with a standard error, CI, RSE and reliability flag.
WITH_SE = ("p0", "p1", "p2", "watts", "n_poor")
# Everything after the domain keys, in output order (the reliability columns follow each of
# WITH_SE; see with_reliability).
POINT_ONLY = (
    "pop",
    "mean_exp",
    "poverty_line",
    "near_poor",
    "very_poor",
    "extreme_poor",
    "gini",
    "decile_cuts",
    "quintile_cuts",
    "decile_shares",
    "decile_pop_shares",
    "share_bottom40",
)
COUNTS = ("n_hh", "n_psu", "n_strata")


def poor() -> pl.Expr:
    """poor_i = 1 if y_i < z_i: strictly below, a household on the line is not poor."""
    return pl.col(Y) < pl.col(Z)


def fgt_terms() -> dict[str, pl.Expr]:
    """The x_i whose person-weighted means are P0, P1, P2 and the Watts index."""
    y, z = pl.col(Y), pl.col(Z)
    gap = pl.when(poor()).then((z - y) / z).otherwise(0.0)
    return {
        "p0": poor().cast(pl.Float64),
        "p1": gap,
        "p2": gap * gap,
        "watts": pl.when(poor()).then((z / y).log()).otherwise(0.0),
    }


def band_flags() -> dict[str, pl.Expr]:
    """Near poor z ≤ y < 1.2z, very poor y < 0.8z, extreme poor y below the extreme line.

    The factors are written as 5y < 6z and 5y < 4z: exact in binary floating point for
    expenditures in whole Rupiah, where 1.2·z is not (1.2 has no exact binary form).
    """
    y, z = pl.col(Y), pl.col(Z)
    return {
        "near_poor": (y >= z) & (5 * y < 6 * z),
        "very_poor": 5 * y < 4 * z,
        "extreme_poor": y < pl.col(ZX),
    }


def poverty_measures(
    households: pl.DataFrame | Sample,
    *,
    levels: Sequence[Level | str] = (Level.national,),
    breakdowns: Sequence[str] = (),
    regions: Sequence[str] | None = None,
    poverty_lines: pl.DataFrame | None = None,
    lonely_psu: LonelyPsu = LonelyPsu.fail,
) -> pl.DataFrame:
    """Every poverty and inequality measure of MEASURES.md for each domain, one row per domain.

    ``households`` is a ``susenas_household`` frame of the **whole sample** (the variance counts
    each stratum's PSUs over it): ``kab_code``, ``urban``, ``strata``, ``psu``, ``weight``,
    ``hh_size``, ``exp_per_capita``, a ``poverty_line`` column and/or a ``poverty_lines`` frame
    (see :func:`~api.measures.frames.prepare_households`); ``prov_code`` and ``hh_id`` are
    optional; breakdown columns as asked. It may also be a
    :class:`~api.measures.frames.Sample` prepared with the poverty lines, which spares
    re-checking the sample. Domains are each region of ``levels`` (national,
    province/``prov_code``, regency/``kab_code``) crossed with ``breakdowns``, limited to
    ``regions`` when given (codes; ``"00"`` is the nation).

    Columns: ``level``, ``region_code``, the breakdowns; ``p0``, ``p1``, ``p2``, ``watts`` and
    ``n_poor``, each followed by ``_se``, ``_ci_low``, ``_ci_high``, ``_rse_pct``,
    ``_unreliable``; ``pop``, ``mean_exp``, ``poverty_line`` (person-weighted mean line of the
    domain), ``near_poor``, ``very_poor``, ``extreme_poor`` (null unless every household of
    the domain has an extreme line), ``gini``, ``decile_cuts`` (9), ``quintile_cuts`` (4),
    ``decile_shares`` (10), ``decile_pop_shares`` (10), ``share_bottom40``; ``n_hh``,
    ``n_psu``, ``n_strata``. Rates are fractions. No value is NaN.

    Raises the input errors of ``prepare_households``, ``InvalidBreakdownError`` and
    ``SinglePsuStratumError`` (unless ``lonely_psu`` says otherwise).
    """
    sample = as_sample(households, welfare=True, poverty_line=True, poverty_lines=poverty_lines)
    prepared, design = sample.households, sample.design
    keys = domain_keys(breakdowns)
    rows = with_domain_id(domain_rows(prepared, levels, breakdowns, regions), keys)
    terms = fgt_terms()
    flags = band_flags()
    # The point-only means ride along in the same pass (their SEs are computed and dropped:
    # cheaper than another group-by over every household). A household without an extreme
    # line makes extreme_poor unknown for its domains rather than silently lower.
    estimates = linearise(
        rows,
        weight=pl.col(V),
        design=design,
        ratios={
            **terms,
            "mean_exp": pl.col(Y),
            "poverty_line": pl.col(Z),
            **{name: flag.fill_null(False) for name, flag in flags.items()},
        },
        totals={"n_poor": terms["p0"], "_no_extreme_line": pl.col(ZX).is_null()},
        lonely_psu=lonely_psu,
    ).with_columns(
        pl.when(pl.col("_no_extreme_line") == 0).then(pl.col("extreme_poor")).alias("extreme_poor")
    )
    result = (
        domain_table(rows, keys)
        .join(estimates, on=DOMAIN_ID)
        .join(distribution(rows, DOMAIN_ID), on=DOMAIN_ID)
        .select(
            *keys,
            *(c for n in WITH_SE for c in (n, f"{n}_se")),
            *POINT_ONLY,
            *COUNTS,
        )
    )
    return sort_domains(with_reliability(result, WITH_SE), keys)
