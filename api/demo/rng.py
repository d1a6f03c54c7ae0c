"""Seeded randomness as Polars expressions: a value is a hash of (seed, stream, entity key).

numpy is not a dependency of the project, and a stateful generator would make a household's
values depend on how many rows were drawn before it. Hashing a stable integer key instead
gives the same value for the same entity however the work is chunked (national scale is
generated province by province), and it runs at Polars speed. Polars only promises hash
stability within one version; ``uv.lock`` pins it, so the same seed gives the same bytes.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import polars as pl

_MANTISSA = 1 << 11  # keep the top 53 bits of the 64-bit hash: a uniform double
_SCALE = 2.0**-53
_TWO_PI = 2.0 * math.pi


def stream_seed(seed: int, stream: str) -> int:
    """An independent 63-bit seed for one named variable (stable across runs and machines)."""
    digest = hashlib.blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


class Draws:
    """Random draws for one seed; every draw names its stream so variables are independent."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def bits(self, key: pl.Expr, stream: str) -> pl.Expr:
        return key.cast(pl.UInt64).hash(stream_seed(self.seed, stream))

    def uniform(self, key: pl.Expr, stream: str) -> pl.Expr:
        """U(0, 1), never exactly 0 (so logs and inverse CDFs stay finite)."""
        top = (self.bits(key, stream) // pl.lit(_MANTISSA, pl.UInt64)).cast(pl.Float64)
        return (top + 0.5) * _SCALE

    def normal(self, key: pl.Expr, stream: str) -> pl.Expr:
        """N(0, 1) by Box-Muller from two independent uniforms."""
        u1 = self.uniform(key, f"{stream}#1")
        u2 = self.uniform(key, f"{stream}#2")
        return (-2.0 * u1.log()).sqrt() * (_TWO_PI * u2).cos()

    def bernoulli(self, key: pl.Expr, stream: str, p: pl.Expr | float) -> pl.Expr:
        prob = p if isinstance(p, pl.Expr) else pl.lit(p)
        return self.uniform(key, stream) < prob

    def choice(
        self, key: pl.Expr, stream: str, codes: Sequence[int], weights: Sequence[float]
    ) -> pl.Expr:
        """One of ``codes`` with fixed probabilities proportional to ``weights``."""
        return pick(self.uniform(key, stream), codes, [pl.lit(w) for w in weights])

    def choice_by(
        self, key: pl.Expr, stream: str, codes: Sequence[int], weights: Sequence[pl.Expr]
    ) -> pl.Expr:
        """One of ``codes`` with per-row weights (expressions, need not sum to one)."""
        return pick(self.uniform(key, stream), codes, weights)


def pick(u: pl.Expr, codes: Sequence[int], weights: Sequence[pl.Expr]) -> pl.Expr:
    """Inverse-CDF pick: the first code whose cumulative weight share exceeds ``u``."""
    if len(codes) != len(weights) or not codes:
        raise ValueError("codes and weights must be non-empty and of equal length")
    clipped = [w.clip(lower_bound=0.0) for w in weights]
    total = pl.sum_horizontal(clipped)
    target = u * total
    expr = pl.lit(codes[-1], pl.Int64)
    cumulative: list[pl.Expr] = []
    running: pl.Expr | None = None
    for w in clipped[:-1]:
        running = w if running is None else running + w
        cumulative.append(running)
    # Build the when-chain from the last threshold backwards so the first match wins.
    for code, bound in reversed(list(zip(codes[:-1], cumulative, strict=True))):
        expr = pl.when(target < bound).then(pl.lit(code, pl.Int64)).otherwise(expr)
    return expr


def probit(p: pl.Expr) -> pl.Expr:
    """Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (
        -39.69683028665376,
        220.9460984245205,
        -275.9285104469687,
        138.3577518672690,
        -30.66479806614716,
        2.506628277459239,
    )
    b = (
        -54.47609879822406,
        161.5858368580409,
        -155.6989798598866,
        66.80131188771972,
        -13.28068155288572,
    )
    c = (
        -7.784894002430293e-03,
        -0.3223964580411365,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    )
    d = (7.784695709041462e-03, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    q = p.clip(1e-12, 1 - 1e-12)
    low = 0.02425

    def tail(x: pl.Expr) -> pl.Expr:
        r = (-2.0 * x.log()).sqrt()
        num = ((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]
        den = (((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1.0
        return num / den

    m = q - 0.5
    r2 = m * m
    central_num = (((((a[0] * r2 + a[1]) * r2 + a[2]) * r2 + a[3]) * r2 + a[4]) * r2 + a[5]) * m
    central_den = ((((b[0] * r2 + b[1]) * r2 + b[2]) * r2 + b[3]) * r2 + b[4]) * r2 + 1.0
    return (
        pl.when(q < low)
        .then(tail(q))
        .when(q > 1 - low)
        .then(-tail(1 - q))
        .otherwise(central_num / central_den)
    )


def normal_cdf(x: pl.Expr) -> pl.Expr:
    """Standard normal CDF via erf's Abramowitz-Stegun 7.1.26 form (|error| < 1.5e-7)."""
    z = x.abs() / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    erf = 1.0 - poly * (-(z * z)).exp()
    return pl.when(x >= 0).then(0.5 * (1.0 + erf)).otherwise(0.5 * (1.0 - erf))
