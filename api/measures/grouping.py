"""Group-bys whose floating-point sums are the same on every run.

Polars' hash group-by adds partial sums in whatever order its threads finish, so a sum can
change in its last bits from one run to the next; the CLI and the API must give identical
numbers for the same data, and a cache must not hold one of two answers. Grouping on a single
column flagged sorted takes Polars' sorted path instead: each group is one contiguous slice,
summed in row order. These helpers put rows in that shape.
"""

from __future__ import annotations

import polars as pl
from polars.dataframe.group_by import GroupBy

GROUP = "_group"


def group_sorted(frame: pl.DataFrame, key: pl.Expr) -> GroupBy:
    """Group on ``key`` (one integer per group) after a stable sort on it.

    The sort keeps the existing order within a group, so rows already in a meaningful order
    (sorted by expenditure, say) stay in it. Results come out in key order, with the key as
    column ``_group``.
    """
    return (
        frame.with_columns(key.alias(GROUP))
        .sort(GROUP, maintain_order=True)
        .group_by(GROUP, maintain_order=True)
    )


def group_presorted(frame: pl.DataFrame, column: str) -> GroupBy:
    """Group on ``column`` of a frame the caller has already sorted by it (first sort key)."""
    return frame.with_columns(pl.col(column).set_sorted()).group_by(column, maintain_order=True)
