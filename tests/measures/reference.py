"""An independent, straightforward implementation of MEASURES.md, for the tests only.

Written from the formulas, not from the engine: plain Python loops over households, strata and
PSUs; quantiles in exact rational arithmetic; the Gini as the pairwise double sum; the variance
as Σ_h n_h/(n_h − 1) Σ_j (U_hj − Ū_h)² with every PSU of the sample listed (PSUs without a
household of the domain hold 0). Slow, and meant for a few hundred households.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from typing import Any

Row = dict[str, Any]
Z95 = 1.959963984540054


class LonelyStratumError(Exception):
    pass


def person_weight(h: Row) -> float:
    return float(h["weight"] * h["hh_size"])


def is_poor(h: Row) -> bool:
    return bool(h["exp_per_capita"] < h["poverty_line"])


def fgt(h: Row, alpha: int) -> float:
    if not is_poor(h):
        return 0.0
    gap = (h["poverty_line"] - h["exp_per_capita"]) / h["poverty_line"]
    return float(gap**alpha)


def watts(h: Row) -> float:
    return math.log(h["poverty_line"] / h["exp_per_capita"]) if is_poor(h) else 0.0


POVERTY_X: dict[str, Callable[[Row], float]] = {
    "p0": lambda h: fgt(h, 0),
    "p1": lambda h: fgt(h, 1),
    "p2": lambda h: fgt(h, 2),
    "watts": watts,
}


def weighted_mean(
    rows: Sequence[Row], x: Callable[[Row], float], w: Callable[[Row], float]
) -> float:
    return sum(w(h) * x(h) for h in rows) / sum(w(h) for h in rows)


def standard_error(
    sample: Iterable[Row],
    members: Sequence[Row],
    x: Callable[[Row], float],
    w: Callable[[Row], float],
    *,
    total: bool = False,
    lonely: str = "fail",
) -> float:
    """SE of Σ w x / Σ w (or of Σ w x when ``total``) over ``members``, design of ``sample``."""
    psu_totals: dict[str, dict[str, float]] = {}
    for h in sample:
        psu_totals.setdefault(h["strata"], {}).setdefault(h["psu"], 0.0)
    big_n = sum(w(h) for h in members)
    theta = sum(w(h) * x(h) for h in members) / big_n
    for h in members:
        u = w(h) * x(h) if total else w(h) * (x(h) - theta) / big_n
        psu_totals[h["strata"]][h["psu"]] += u
    every_u = [u for psus in psu_totals.values() for u in psus.values()]
    grand_mean = sum(every_u) / len(every_u)
    touched = {h["strata"] for h in members}
    variance = 0.0
    for stratum, psus in psu_totals.items():
        totals = list(psus.values())
        n = len(totals)
        if n == 1:
            if lonely == "fail" and stratum in touched:
                raise LonelyStratumError(stratum)
            if lonely == "adjust":
                variance += (totals[0] - grand_mean) ** 2
            continue
        mean = sum(totals) / n
        variance += n / (n - 1) * sum((u - mean) ** 2 for u in totals)
    return math.sqrt(variance)


def quantile(rows: Sequence[Row], p: Fraction) -> float:
    """The smallest y whose cumulative person weight reaches p·N, in exact arithmetic."""
    ordered = sorted(rows, key=lambda h: h["exp_per_capita"])
    weights = [Fraction(person_weight(h)) for h in ordered]
    target = p * sum(weights)
    cumulative = Fraction(0)
    for h, weight in zip(ordered, weights, strict=True):
        cumulative += weight
        if cumulative >= target:
            return float(h["exp_per_capita"])
    raise AssertionError("unreachable: the last cumulative weight is N")


def cuts(rows: Sequence[Row], parts: int) -> list[float]:
    return [quantile(rows, Fraction(k, parts)) for k in range(1, parts)]


def group_of(y: float, cut_points: Sequence[float]) -> int:
    return 1 + sum(1 for c in cut_points if c < y)


def gini_pairwise(rows: Sequence[Row]) -> float:
    big_n = sum(person_weight(h) for h in rows)
    mean = sum(person_weight(h) * h["exp_per_capita"] for h in rows) / big_n
    pairs = sum(
        person_weight(a) * person_weight(b) * abs(a["exp_per_capita"] - b["exp_per_capita"])
        for a in rows
        for b in rows
    )
    return float(pairs / (2 * big_n**2 * mean))


def poverty(sample: Sequence[Row], members: Sequence[Row], lonely: str = "fail") -> dict[str, Any]:
    """Every measure of ``poverty_measures`` for one domain."""
    v = person_weight
    out: dict[str, Any] = {}
    for name, x in POVERTY_X.items():
        out[name] = weighted_mean(members, x, v)
        out[f"{name}_se"] = standard_error(sample, members, x, v, lonely=lonely)
    out["n_poor"] = sum(v(h) for h in members if is_poor(h))
    out["n_poor_se"] = standard_error(
        sample, members, lambda h: float(is_poor(h)), v, total=True, lonely=lonely
    )
    for name in ("p0", "p1", "p2", "watts", "n_poor"):
        theta, se = out[name], out[f"{name}_se"]
        out[f"{name}_ci_low"] = theta - Z95 * se
        out[f"{name}_ci_high"] = theta + Z95 * se
        out[f"{name}_rse_pct"] = None if theta == 0 else 100 * se / theta
        out[f"{name}_unreliable"] = None if theta == 0 else 100 * se / theta > 25
    out["pop"] = sum(v(h) for h in members)
    out["mean_exp"] = weighted_mean(members, lambda h: h["exp_per_capita"], v)
    out["poverty_line"] = weighted_mean(members, lambda h: h["poverty_line"], v)
    y, z = "exp_per_capita", "poverty_line"
    out["near_poor"] = weighted_mean(members, lambda h: float(h[z] <= h[y] < 1.2 * h[z]), v)
    out["very_poor"] = weighted_mean(members, lambda h: float(h[y] < 0.8 * h[z]), v)
    out["extreme_poor"] = weighted_mean(
        members, lambda h: float(h[y] < h["extreme_poverty_line"]), v
    )
    out["gini"] = gini_pairwise(members)
    decile_cuts = cuts(members, 10)
    out["decile_cuts"] = decile_cuts
    out["quintile_cuts"] = cuts(members, 5)
    total_vy = sum(v(h) * h[y] for h in members)
    deciles = [group_of(h[y], decile_cuts) for h in members]
    out["decile_shares"] = [
        sum(v(h) * h[y] for h, d in zip(members, deciles, strict=True) if d == k) / total_vy
        for k in range(1, 11)
    ]
    out["decile_pop_shares"] = [
        sum(v(h) for h, d in zip(members, deciles, strict=True) if d == k) / out["pop"]
        for k in range(1, 11)
    ]
    q40 = quantile(members, Fraction(4, 10))
    out["share_bottom40"] = sum(v(h) * h[y] for h in members if h[y] <= q40) / total_vy
    out["n_hh"] = len(members)
    out["n_psu"] = len({(h["strata"], h["psu"]) for h in members})
    out["n_strata"] = len({h["strata"] for h in members})
    return out


def region_code(h: Row, level: str) -> str:
    column = {"national": None, "province": "prov_code", "regency": "kab_code"}[level]
    return "00" if column is None else str(h[column])


def in_region(h: Row, level: str, code: str) -> bool:
    return region_code(h, level) == code


def members_of(sample: Sequence[Row], domain: Row, breakdowns: Sequence[str]) -> list[Row]:
    """The households of an engine output row's domain."""
    return [
        h
        for h in sample
        if in_region(h, domain["level"], domain["region_code"])
        and all(h.get(b) == domain[b] for b in breakdowns)
    ]
