"""Flat tables for formats without list cells (CSV, XLSX)."""

from __future__ import annotations

import polars as pl


def flatten_lists(frame: pl.DataFrame) -> pl.DataFrame:
    """Each list column becomes numbered columns: ``decile_cuts`` → ``decile_cuts_1`` … ``_9``.

    The numbering is 1-based, as deciles are (``decile_shares_1`` is the poorest tenth).
    """
    columns: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        if not isinstance(dtype, pl.List):
            columns.append(pl.col(name))
            continue
        longest = frame.select(pl.col(name).list.len().max()).item()
        width = longest if isinstance(longest, int) else 0  # None for an empty frame
        columns += [
            pl.col(name).list.get(i, null_on_oob=True).alias(f"{name}_{i + 1}")
            for i in range(width)
        ]
    return frame.select(columns)
