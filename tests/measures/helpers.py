"""Comparison helpers for the measures tests."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import polars as pl

POINT_TOL = 1e-9  # MEASURES.md: point estimates to 1e-9
SE_TOL = 1e-6  # and standard errors to 1e-6, relative


def close(actual: Any, expected: Any, *, se: bool = False) -> bool:
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, list):
        return len(actual) == len(expected) and all(
            close(a, e, se=se) for a, e in zip(actual, expected, strict=True)
        )
    if se:
        return math.isclose(actual, expected, rel_tol=SE_TOL, abs_tol=1e-12)
    return math.isclose(actual, expected, rel_tol=POINT_TOL, abs_tol=POINT_TOL)


def mismatches(actual: dict[str, Any], expected: dict[str, Any], names: Iterable[str]) -> list[str]:
    """Names whose values differ, with both values, for a readable assertion message."""
    wrong = []
    for name in names:
        is_se = name.endswith(("_se", "_rse_pct", "_ci_low", "_ci_high"))
        if not close(actual[name], expected[name], se=is_se):
            wrong.append(f"{name}: engine {actual[name]!r} != reference {expected[name]!r}")
    return wrong


def four_households(**extra: list[object]) -> pl.DataFrame:
    """The hand-worked example of test_poverty_examples (see its docstring)."""
    return pl.DataFrame(
        {
            "hh_id": ["h1", "h2", "h3", "h4"],
            "kab_code": ["3201"] * 4,
            "urban": [1] * 4,
            "strata": ["s"] * 4,
            "psu": ["A", "A", "B", "B"],
            "weight": [1.0, 1.0, 2.0, 1.0],
            "hh_size": [2, 1, 1, 5],
            "exp_per_capita": [50.0, 100.0, 80.0, 200.0],
            "poverty_line": [100.0] * 4,
            **extra,
        }
    )
