"""Small generated Susenas-like samples for the measures tests (plain Python, seeded)."""

from __future__ import annotations

import math
import random
from typing import Any

import polars as pl

# (kab_code, poverty line urban, poverty line rural)
KABS = (
    ("3201", 520_000.0, 480_000.0),
    ("3202", 610_000.0, 500_000.0),
    ("3301", 450_000.0, 420_000.0),
)


def households(
    seed: int = 7,
    *,
    psus: tuple[int, int] = (2, 6),
    size: tuple[int, int] = (2, 10),
    lonely_stratum: str | None = None,
) -> pl.DataFrame:
    """Households in 3 kab × urban/rural strata, PSU numbers restarting in every stratum.

    Expenditures are log-normal around the line, rounded to 1,000 so that ties occur, and a few
    households sit exactly on their line or on 0.8 z / 1.2 z (exact in floating point).
    Weights are unequal floats.
    ``lonely_stratum`` (e.g. ``"3301-2"``) gets a single PSU.
    """
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for kab, line_urban, line_rural in KABS:
        for urban, line in ((1, line_urban), (2, line_rural)):
            stratum = f"{kab}-{urban}"
            n_psu = 1 if stratum == lonely_stratum else rng.randint(*psus)
            for psu in range(1, n_psu + 1):
                psu_effect = rng.gauss(0, 0.25)
                for _ in range(rng.randint(*size)):
                    rows.append(
                        _household(rng, len(rows) + 1, kab, urban, stratum, psu, line, psu_effect)
                    )
    return pl.DataFrame(rows)


def _household(
    rng: random.Random,
    n: int,
    kab: str,
    urban: int,
    stratum: str,
    psu: int,
    line: float,
    effect: float,
) -> dict[str, Any]:
    draw = rng.random()
    if draw < 0.05:
        y = line  # exactly on the line: not poor, near poor
    elif draw < 0.08:
        y = line * 4 / 5  # on the very-poor boundary: not very poor
    elif draw < 0.10:
        y = line * 6 / 5  # on the near-poor boundary: not near poor
    else:
        y = round(line * math.exp(0.25 + effect + rng.gauss(0, 0.5)), -3)
    return {
        "hh_id": f"H{n:05d}",
        "prov_code": kab[:2],
        "kab_code": kab,
        "urban": urban,
        "strata": stratum,
        "psu": str(psu),
        "weight": round(rng.uniform(20, 400), 3),
        "hh_size": rng.randint(1, 8),
        "exp_per_capita": max(y, 1000.0),
        "poverty_line": line,
        "extreme_poverty_line": 0.6 * line,
        "head_sex": rng.choice([1, 1, 1, 2]),
        "head_work_sector": rng.choice([1, 1, 3, 6, 6, 9, None]),
        "drinking_water_source": rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 9, None]),
        "toilet_facility": rng.choice([1, 1, 2, 3, 4, 5, 6]),
        "toilet_type": rng.choice([1, 1, 1, 2, 4, None]),
        "feces_disposal": rng.choice([1, 1, 2, 3, 4, 5]),
        "receives_pkh": rng.choice([True, False, False, None]),
    }


def persons(households: pl.DataFrame, seed: int = 11) -> pl.DataFrame:
    """Members of every household (hh_size of them), ages 0-80, some items missing."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for hh_id, size in households.select("hh_id", "hh_size").iter_rows():
        for person_no in range(1, size + 1):
            age = rng.randint(0, 80)
            rows.append(
                {
                    "hh_id": hh_id,
                    "person_no": person_no,
                    "age": age,
                    "sex": rng.choice([1, 2]),
                    "school_participation": rng.choice([1, 2, 2, 2, 3, None]) if age >= 5 else None,
                    "literate": rng.choice([True, True, True, False]) if age >= 5 else None,
                    "person_weight": rng.choice([None, round(rng.uniform(20, 400), 2)]),
                }
            )
    return pl.DataFrame(rows)
