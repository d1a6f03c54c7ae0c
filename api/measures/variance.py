"""Taylor-linearised standard errors for ratio means and totals, over all domains at once.

The design (MEASURES.md, "Standard errors"): PSUs nested in strata, first stage with
replacement, no finite population correction; a PSU is the pair (stratum, psu). For a ratio
θ_D = Σ_D w x / Σ_D w the score is u_i = 1[i∈D] · w_i (x_i − θ_D) / N_D, for a total it is
u_i = 1[i∈D] · w_i x_i; with PSU totals U_hj and n_h the number of PSUs of stratum h in the
whole sample,

    V = Σ_h n_h/(n_h − 1) · Σ_j (U_hj − Ū_h)².

PSUs with no household in D have U_hj = 0, so Σ_j (U_hj − Ū_h)² = Σ_j U_hj² − (Σ_j U_hj)²/n_h
where both sums need only the PSUs that have households in D: the whole computation is three
group-bys (domain × PSU, domain × stratum, domain) and no loop over domains or strata.

A stratum with a single PSU gives no variance. What happens then is the caller's choice, after
the ``survey.lonely.psu`` options of R's survey package:

- ``fail`` (default): :class:`~api.measures.errors.SinglePsuStratumError` names the strata, for
  every single-PSU stratum that has households in a requested domain;
- ``certainty``: the stratum is taken as sampled with certainty and contributes no variance;
- ``adjust``: the stratum's PSU total is centred at the grand mean Ū = Σ_j U_j / P of the PSU
  totals of the domain over all P PSUs of the sample, instead of its own stratum mean, and
  contributes (U_h1 − Ū)² (no n_h/(n_h−1) factor); a single-PSU stratum with no household in the
  domain contributes Ū². For a ratio the scores sum to zero, so Ū = 0 and the contribution is
  U_h1²; this is conservative (it never lowers the variance compared with ``certainty``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum

import polars as pl

from api.measures.domains import DOMAIN_ID
from api.measures.errors import SinglePsuStratumError
from api.measures.frames import PSU, STRATUM, Design
from api.measures.grouping import group_presorted, group_sorted

Z95 = 1.959963984540054  # the 0.975 quantile of the standard normal distribution
RSE_UNRELIABLE = 25.0  # BPS: an estimate with RSE above 25% is unreliable
RELIABILITY_SUFFIXES = ("_se", "_ci_low", "_ci_high", "_rse_pct", "_unreliable")


class LonelyPsu(StrEnum):
    """What to do with a stratum that has a single PSU (see the module docstring)."""

    fail = "fail"
    certainty = "certainty"
    adjust = "adjust"


def linearise(
    rows: pl.DataFrame,
    *,
    weight: pl.Expr,
    design: Design,
    ratios: Mapping[str, pl.Expr] | None = None,
    totals: Mapping[str, pl.Expr] | None = None,
    lonely_psu: LonelyPsu = LonelyPsu.fail,
    household_id: str | None = None,
) -> pl.DataFrame:
    """Estimates and standard errors for every domain of ``rows`` (one row per domain).

    ``rows`` are the observations in each domain (a household stacked once per domain it
    belongs to) with the domain id ``_dom`` (see :func:`~api.measures.domains.with_domain_id`),
    ``_stratum`` and ``_psu``. ``ratios`` and ``totals`` map output names to the variable x (a
    0/1 flag or a number); ``weight`` is the weight of one row. The result has ``_dom``, each
    name and ``<name>_se``, ``pop`` (Σ weight), ``n_obs`` (rows), ``n_hh`` (distinct
    ``household_id``, else rows), ``n_psu`` and ``n_strata`` (those with an observation in the
    domain).
    """
    ratios = dict(ratios or {})
    totals = dict(totals or {})
    names = [*ratios, *totals]
    x_of = {name: f"_x{i}" for i, name in enumerate(names)}
    xs = list(x_of.values())
    dom = pl.col(DOMAIN_ID).cast(pl.Int64)
    # Only the columns summed are sorted and grouped: a sort moves every column it carries.
    narrow = rows.select(
        DOMAIN_ID,
        STRATUM,
        PSU,
        weight.alias("_wt"),
        *((weight * expr.cast(pl.Float64)).alias(x_of[n]) for n, expr in ratios.items()),
        *((weight * expr.cast(pl.Float64)).alias(x_of[n]) for n, expr in totals.items()),
    )
    # One row per domain × PSU. PSU ids are ranked by (strata, psu), so in key order the
    # strata of a domain come in order too.
    psu = group_sorted(narrow, dom * (design.total_psus + 1) + pl.col(PSU)).agg(
        pl.first(DOMAIN_ID),
        pl.first(STRATUM),
        *(pl.col(c).sum() for c in ("_wt", *xs)),
        pl.len().alias("_n"),
    )
    estimates = group_presorted(psu, DOMAIN_ID).agg(
        pl.col("_wt").sum().alias("pop"),
        *(pl.col(x_of[n]).sum().alias(n) for n in names),
        pl.col("_n").sum().alias("n_obs"),
        pl.len().alias("n_psu"),
        pl.col(STRATUM).n_unique().alias("n_strata"),
    )
    estimates = estimates.with_columns((pl.col(n) / pl.col("pop")).alias(n) for n in ratios)
    scores = {
        **{n: (pl.col(x_of[n]) - pl.col(n) * pl.col("_wt")) / pl.col("pop") for n in ratios},
        **{n: pl.col(x_of[n]) for n in totals},
    }
    with_theta = psu.join(
        estimates.select(DOMAIN_ID, "pop", *names), on=DOMAIN_ID, maintain_order="left"
    )
    strata = (
        group_sorted(with_theta, dom * (design.strata.height + 1) + pl.col(STRATUM))
        .agg(
            pl.first(DOMAIN_ID),
            pl.first(STRATUM),
            *(u.sum().alias(f"_s1{x_of[n]}") for n, u in scores.items()),
            *((u * u).sum().alias(f"_s2{x_of[n]}") for n, u in scores.items()),
        )
        .join(design.strata.select(STRATUM, "strata", "n_h"), on=STRATUM, maintain_order="left")
    )
    if lonely_psu is LonelyPsu.fail:
        single = strata.filter(pl.col("n_h") == 1).get_column("strata").unique().sort()
        if single.len():
            raise SinglePsuStratumError(
                single.to_list(), [p.value for p in LonelyPsu if p is not LonelyPsu.fail]
            )
    variances = _variances(strata, xs, lonely_psu, design)
    result = estimates.join(variances, on=DOMAIN_ID, how="left", maintain_order="left")
    result = result.with_columns(
        pl.col(f"_var{x_of[n]}").fill_null(0.0).clip(lower_bound=0.0).sqrt().alias(f"{n}_se")
        for n in names
    )
    if household_id is None:
        result = result.with_columns(pl.col("n_obs").alias("n_hh"))
    else:
        households = rows.group_by(DOMAIN_ID).agg(pl.col(household_id).n_unique().alias("n_hh"))
        result = result.join(households, on=DOMAIN_ID, maintain_order="left")
    return result.select(
        DOMAIN_ID,
        *(c for n in names for c in (n, f"{n}_se")),
        "pop",
        *(pl.col(c).cast(pl.Int64) for c in ("n_obs", "n_hh", "n_psu", "n_strata")),
    )


def _variances(
    strata: pl.DataFrame, xs: Sequence[str], policy: LonelyPsu, design: Design
) -> pl.DataFrame:
    """Per domain, V = Σ_h of each stratum's contribution, for each variable ``_var<x>``.

    A stratum with n_h ≥ 2 PSUs contributes n_h/(n_h − 1) · (Σ_j U² − (Σ_j U)²/n_h). Under
    ``adjust`` a single-PSU stratum contributes (S_h − Ū)² where S_h is its PSU total (0 when
    it has no household in the domain) and Ū = Σ S / P; summed over the L single-PSU strata of
    the sample that is Σ_lonely S² − 2 Ū Σ_lonely S + L Ū², which needs only the strata the
    domain touches. Under ``certainty`` they contribute nothing.
    """
    n_h = pl.col("n_h").cast(pl.Float64)
    lonely = pl.col("n_h") == 1
    sums: list[pl.Expr] = []
    for x in xs:
        s1, s2 = pl.col(f"_s1{x}"), pl.col(f"_s2{x}")
        regular = n_h / (n_h - 1) * (s2 - s1 * s1 / n_h)
        sums.append(regular.filter(~lonely).sum().alias(f"_var{x}"))
        if policy is LonelyPsu.adjust:
            sums += [
                s1.sum().alias(f"_all{x}"),
                s1.filter(lonely).sum().alias(f"_l1{x}"),
                s2.filter(lonely).sum().alias(f"_l2{x}"),
            ]
    variances = group_presorted(strata, DOMAIN_ID).agg(sums)
    if policy is not LonelyPsu.adjust:
        return variances
    adjusted: list[pl.Expr] = []
    for x in xs:
        ubar = pl.col(f"_all{x}") / design.total_psus
        adjusted.append(
            (
                pl.col(f"_var{x}")
                + pl.col(f"_l2{x}")
                - 2 * ubar * pl.col(f"_l1{x}")
                + design.lonely_strata * ubar * ubar
            ).alias(f"_var{x}")
        )
    return variances.with_columns(adjusted)


def with_reliability(frame: pl.DataFrame, names: Sequence[str]) -> pl.DataFrame:
    """Add ``_ci_low``, ``_ci_high``, ``_rse_pct`` and ``_unreliable`` after each ``<name>_se``.

    The 95% interval is normal and not truncated at 0; the RSE is 100·SE/θ and null when θ = 0
    (so is the flag then: a zero estimate has no relative error to judge); ``_unreliable`` is
    RSE > 25, the BPS rule.
    """
    added: list[pl.Expr] = []
    for name in names:
        theta, se = pl.col(name), pl.col(f"{name}_se")
        rse = pl.when(theta != 0).then(100 * se / theta)
        added += [
            (theta - Z95 * se).alias(f"{name}_ci_low"),
            (theta + Z95 * se).alias(f"{name}_ci_high"),
            rse.alias(f"{name}_rse_pct"),
            (rse > RSE_UNRELIABLE).alias(f"{name}_unreliable"),
        ]
    order: list[str] = []
    for column in frame.columns:
        order.append(column)
        stem = column.removesuffix("_se")
        if column.endswith("_se") and stem in names:
            order += [f"{stem}{s}" for s in RELIABILITY_SUFFIXES[1:]]
    return frame.with_columns(added).select(order)
