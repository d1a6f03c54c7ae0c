"""Household and person traits shared by Susenas, Sakernas and DTKS, driven by welfare.

Every trait is a multinomial-logit draw: base shares tilted by a ``poverty`` score (about
N(0, 1), higher = poorer) and by rurality, so deprivations, education and sectors follow
welfare the way they do in the real surveys (the poor are more rural, more often in
agriculture, less often with piped water or a diploma).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from api.demo.rng import Draws, pick


def tilted(
    draws: Draws,
    key: pl.Expr,
    stream: str,
    codes: Sequence[int],
    base: Sequence[float],
    tilt: Sequence[float],
    score: pl.Expr,
    rural_tilt: Sequence[float] | None = None,
    rural: pl.Expr | None = None,
) -> pl.Expr:
    """A code with weights base_k · exp(tilt_k · score + rural_tilt_k · rural).

    ``score`` and ``rural`` (0/1 float) should be plain columns: Polars re-evaluates a
    compound expression in every branch of the pick.
    """
    weights = []
    for k in range(len(codes)):
        exponent = tilt[k] * score
        if rural_tilt is not None and rural is not None:
            exponent = exponent + rural_tilt[k] * rural
        weights.append(base[k] * exponent.exp())
    return pick(draws.uniform(key, stream), codes, weights)


def named(items: dict[str, pl.Expr]) -> list[pl.Expr]:
    return [expr.alias(name) for name, expr in items.items()]


def logistic(x: pl.Expr) -> pl.Expr:
    return 1.0 / (1.0 + (-x).exp())


SECTORS = list(range(1, 10))
# Agriculture; mining; manufacturing; utilities; construction; trade/restaurants/hotels;
# transport/communication; finance; community services (about Sakernas August shares).
SECTOR_BASE = [0.13, 0.012, 0.14, 0.005, 0.065, 0.27, 0.055, 0.035, 0.20]
SECTOR_POVERTY_TILT = [0.7, 0.0, 0.0, -0.4, 0.2, -0.1, -0.1, -0.8, -0.3]
SECTOR_RURAL_TILT = [1.6, 0.4, -0.3, -0.3, 0.0, -0.5, -0.3, -0.8, -0.4]


def sector(draws: Draws, key: pl.Expr, stream: str, poverty: pl.Expr, rural: pl.Expr) -> pl.Expr:
    return tilted(
        draws,
        key,
        stream,
        SECTORS,
        SECTOR_BASE,
        SECTOR_POVERTY_TILT,
        poverty,
        SECTOR_RURAL_TILT,
        rural,
    )


DIPLOMAS = list(range(1, 9))
DIPLOMA_BASE = [0.12, 0.28, 0.18, 0.19, 0.09, 0.03, 0.10, 0.01]
DIPLOMA_POVERTY_TILT = [0.9, 0.5, 0.1, -0.3, -0.2, -0.7, -1.0, -1.2]
DIPLOMA_RURAL_TILT = [0.5, 0.5, 0.1, -0.3, -0.2, -0.5, -0.7, -0.8]


def diploma(draws: Draws, key: pl.Expr, stream: str, poverty: pl.Expr, rural: pl.Expr) -> pl.Expr:
    return tilted(
        draws,
        key,
        stream,
        DIPLOMAS,
        DIPLOMA_BASE,
        DIPLOMA_POVERTY_TILT,
        poverty,
        DIPLOMA_RURAL_TILT,
        rural,
    )


def housing(
    draws: Draws, key: pl.Expr, prefix: str, poverty: pl.Expr, rural: pl.Expr
) -> dict[str, pl.Expr]:
    """Regsosek-coded housing items (the same codes in Susenas and DTKS)."""

    def item(name: str, base: list[float], tilt: list[float], rural_tilt: list[float]) -> pl.Expr:
        codes = list(range(1, len(base) + 1))
        return tilted(draws, key, f"{prefix}.{name}", codes, base, tilt, poverty, rural_tilt, rural)

    return {
        "home_ownership": item(
            "home_ownership",
            [0.82, 0.09, 0.07, 0.01, 0.01],
            [0.1, -0.2, 0.2, -0.5, 0.0],
            [0.6, -1.0, 0.0, -0.5, 0.0],
        ),
        "floor_material": item(
            "floor_material",
            [0.02, 0.45, 0.02, 0.10, 0.10, 0.22, 0.02, 0.06, 0.01],
            [-1.0, -0.4, -0.5, 0.0, 0.5, 0.5, 0.9, 1.1, 0.3],
            [-0.3, -0.5, -0.3, 0.0, 0.6, 0.4, 0.8, 0.8, 0.2],
        ),
        "wall_material": item(
            "wall_material",
            [0.75, 0.04, 0.14, 0.04, 0.01, 0.01, 0.01],
            [-0.4, 0.3, 0.4, 0.9, 0.8, 0.9, 0.5],
            [-0.5, 0.3, 0.8, 0.8, 0.8, 0.8, 0.3],
        ),
        "roof_material": item(
            "roof_material",
            [0.07, 0.46, 0.36, 0.05, 0.02, 0.01, 0.02, 0.01],
            [-0.6, -0.1, 0.3, 0.0, 0.4, 0.8, 1.0, 0.3],
            [-0.4, -0.2, 0.4, -0.3, 0.5, 0.8, 0.9, 0.3],
        ),
        "drinking_water_source": item(
            "drinking_water_source",
            [0.09, 0.31, 0.10, 0.17, 0.14, 0.04, 0.06, 0.03, 0.03, 0.02, 0.01],
            [-1.0, -0.5, -0.2, -0.1, 0.3, 0.8, 0.4, 0.9, 1.0, 0.6, 0.5],
            [-0.6, -0.9, -0.4, 0.1, 0.7, 1.0, 1.1, 1.2, 1.2, 0.8, 0.4],
        ),
        "toilet_facility": item(
            "toilet_facility",
            [0.82, 0.07, 0.03, 0.01, 0.01, 0.06],
            [-0.4, 0.3, 0.6, 0.6, 0.5, 1.2],
            [-0.2, 0.2, 0.3, 0.3, 0.3, 1.0],
        ),
        "toilet_type": item(
            "toilet_type", [0.92, 0.03, 0.02, 0.03], [-0.3, 0.5, 0.8, 1.2], [-0.2, 0.4, 0.6, 1.0]
        ),
        "feces_disposal": item(
            "feces_disposal",
            [0.80, 0.01, 0.06, 0.09, 0.03, 0.01],
            [-0.4, -0.5, 0.6, 0.7, 1.0, 0.3],
            [-0.4, -0.8, 0.6, 0.7, 0.9, 0.3],
        ),
        "lighting_source": item(
            "lighting_source",
            [0.94, 0.04, 0.01, 0.01],
            [-0.2, 0.6, 0.8, 1.5],
            [-0.3, 0.8, 1.0, 1.6],
        ),
    }


def programme_flags(
    draws: Draws, key: pl.Expr, prefix: str, poverty: pl.Expr
) -> dict[str, pl.Expr]:
    """Social assistance receipt: targeted on the poor, with inclusion and exclusion errors."""

    def flag(name: str, intercept: float, slope: float) -> pl.Expr:
        return draws.bernoulli(key, f"{prefix}.{name}", logistic(intercept + slope * poverty))

    return {
        "receives_pkh": flag("pkh", -2.6, 1.3),
        "receives_bpnt": flag("bpnt", -2.0, 1.3),
        "receives_pip": flag("pip", -2.6, 1.0),
        "receives_pbi_jkn": flag("pbi_jkn", -0.7, 1.2),
    }
