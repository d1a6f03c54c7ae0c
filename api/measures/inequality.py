"""Gini, weighted quantiles, decile groups and expenditure shares, for every domain at once.

All functions take rows that carry a domain id column (``by``), the per-capita expenditure
``_y`` and the person weight ``_v``, and work with one sort and a few group-bys whatever the
number of domains. Definitions are those of MEASURES.md ("Inequality").
"""

from __future__ import annotations

import polars as pl

from api.measures.frames import V, Y
from api.measures.grouping import group_presorted

DECILES = 10
QUINTILES = 5

# A cut k/q is reached when the cumulative weight C ≥ (k/q)·N. C is a running float sum, so
# with weights such as 0.1 it can fall an ulp short of a boundary it reaches exactly in real
# arithmetic (0.1 + 0.2 < 0.3 fails); a shortfall within this relative margin counts as reached.
CUT_TOLERANCE = 1e-12

_C = "_cum_v"


def _cut_name(k: int, parts: int) -> str:
    return f"_cut_{k}_of_{parts}"


def _sorted_with_cumulative(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    """Rows sorted by expenditure within each domain, with the cumulative weight C_i.

    Prepared samples come sorted by expenditure (see prepare_households), and stacking levels
    or filtering keeps that order, so a stable sort on the domain id alone is enough: several
    times cheaper than sorting on (domain, y) for a million rows. The order is checked, and
    rows that arrive otherwise are sorted on both keys.
    """
    ordered = rows.select(by, Y, V).sort(by, maintain_order=True)
    step_up = (pl.col(Y).diff() >= 0) | (pl.col(by).diff() != 0)  # first row: null, ignored
    if not ordered.select(step_up.all()).item():
        ordered = ordered.sort(by, Y, maintain_order=True)
    return ordered.with_columns(pl.col(V).cum_sum().over(by).alias(_C))


def _cut_exprs(parts: int) -> list[pl.Expr]:
    """Q(k/parts), k = 1..parts−1: the smallest y whose cumulative weight reaches k/parts · N.

    N is taken as the last C of the domain, the same float sum, so the top cut is always
    reached. For use in a group-by over the domain on sorted rows.
    """
    total = pl.col(_C).last()
    return [
        pl.col(Y)
        .filter(pl.col(_C) >= total * (k / parts - CUT_TOLERANCE))
        .min()
        .alias(_cut_name(k, parts))
        for k in range(1, parts)
    ]


def _group_of(parts: int) -> pl.Expr:
    """1 + the number of cut points strictly below y (a tie with a cut goes to the lower group)."""
    return 1 + pl.sum_horizontal(
        (pl.col(Y) > pl.col(_cut_name(k, parts))).cast(pl.Int8) for k in range(1, parts)
    )


def quantile_groups(rows: pl.DataFrame, by: str, parts: int, name: str) -> pl.DataFrame:
    """``rows`` with column ``name``: each household's group 1..parts within its domain ``by``.

    Quintiles are ``parts=5`` and deciles ``parts=10``, cut at the domain's own weighted
    quantiles (the cuts of a kab differ from the national ones).
    """
    cuts = group_presorted(_sorted_with_cumulative(rows, by), by).agg(_cut_exprs(parts))
    return (
        rows.join(cuts, on=by, how="left", maintain_order="left")
        .with_columns(_group_of(parts).cast(pl.Int8).alias(name))
        .drop(_cut_name(k, parts) for k in range(1, parts))
    )


def distribution(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    """Per domain: ``gini``, ``decile_cuts``, ``quintile_cuts``, ``decile_shares``,
    ``decile_pop_shares`` and ``share_bottom40``.

    The Gini uses the computing form of MEASURES.md, G = (2 Σ v y C − Σ v² y)/(N Σ v y) − 1 on
    rows sorted by y, which equals the pairwise definition whatever the order of tied values.
    Lists always have 9 (cuts), 4 (quintile cuts) and 10 (shares) entries; an empty decile has
    share 0.
    """
    ordered = _sorted_with_cumulative(rows, by)
    vy = pl.col(V) * pl.col(Y)
    per_domain = group_presorted(ordered, by).agg(
        *_cut_exprs(DECILES),
        (vy * pl.col(_C)).sum().alias("_s_vyc"),
        (pl.col(V) * vy).sum().alias("_s_v2y"),
        vy.sum().alias("_s_vy"),
        pl.col(V).sum().alias("_s_v"),
    )
    cut_columns = [_cut_name(k, DECILES) for k in range(1, DECILES)]
    decile = _group_of(DECILES)
    bottom40 = pl.col(Y) <= pl.col(_cut_name(4, DECILES))
    with_deciles = ordered.join(
        per_domain.select(by, *cut_columns), on=by, how="left", maintain_order="left"
    ).with_columns(decile.alias("_decile"))
    shares = group_presorted(with_deciles, by).agg(
        *(vy.filter(pl.col("_decile") == k).sum().alias(f"_vy_{k}") for k in range(1, DECILES + 1)),
        *(
            pl.col(V).filter(pl.col("_decile") == k).sum().alias(f"_v_{k}")
            for k in range(1, DECILES + 1)
        ),
        vy.filter(bottom40).sum().alias("_vy_b40"),
    )
    total_vy = pl.col("_s_vy")
    return per_domain.join(shares, on=by, how="left", maintain_order="left").select(
        by,
        ((2 * pl.col("_s_vyc") - pl.col("_s_v2y")) / (pl.col("_s_v") * total_vy) - 1).alias("gini"),
        pl.concat_list(cut_columns).alias("decile_cuts"),
        pl.concat_list(_cut_name(k, DECILES) for k in (2, 4, 6, 8)).alias("quintile_cuts"),
        pl.concat_list(pl.col(f"_vy_{k}") / total_vy for k in range(1, DECILES + 1)).alias(
            "decile_shares"
        ),
        pl.concat_list(pl.col(f"_v_{k}") / pl.col("_s_v") for k in range(1, DECILES + 1)).alias(
            "decile_pop_shares"
        ),
        (pl.col("_vy_b40") / total_vy).alias("share_bottom40"),
    )
