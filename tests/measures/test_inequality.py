"""Gini, the weighted quantile rule and decile groups, at their boundaries."""

from __future__ import annotations

import random
from fractions import Fraction

import polars as pl
import pytest

from api.measures.domains import domain_rows
from api.measures.frames import prepare_households
from api.measures.inequality import distribution, quantile_groups
from tests.measures import reference


def frame_of(y: list[float], v: list[float], domain: list[int] | None = None) -> pl.DataFrame:
    """Rows as the inequality functions take them: domain id, y, person weight."""
    return pl.DataFrame(
        {"_dom": domain or [1] * len(y), "_y": y, "_v": v},
        schema={"_dom": pl.Int64, "_y": pl.Float64, "_v": pl.Float64},
    )


def as_rows(y: list[float], v: list[float]) -> list[dict[str, float]]:
    """The reference's household dicts: v = weight · hh_size with hh_size 1."""
    return [{"exp_per_capita": a, "weight": b, "hh_size": 1} for a, b in zip(y, v, strict=True)]


@pytest.mark.parametrize("seed", range(6))
def test_gini_equals_the_pairwise_sum(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(2, 60)
    # Few distinct values, so that ties are common.
    y = [float(rng.choice([10, 20, 20, 35, 50, 50, 90, 400])) for _ in range(n)]
    v = [rng.uniform(0.5, 30) for _ in range(n)]
    gini = distribution(frame_of(y, v), "_dom").item(0, "gini")
    assert gini == pytest.approx(reference.gini_pairwise(as_rows(y, v)), abs=1e-12)


def test_gini_of_many_domains_at_once() -> None:
    rng = random.Random(1)
    y = [float(rng.randint(1, 30)) for _ in range(90)]
    v = [float(rng.randint(1, 9)) for _ in range(90)]
    domain = [i % 3 for i in range(90)]
    result = distribution(frame_of(y, v, domain), "_dom").sort("_dom")
    for d in range(3):
        rows = [r for r, k in zip(as_rows(y, v), domain, strict=True) if k == d]
        assert result.item(d, "gini") == pytest.approx(reference.gini_pairwise(rows), abs=1e-12)


def test_equal_incomes_have_gini_zero_and_one_rich_person_near_one() -> None:
    assert distribution(frame_of([5.0] * 4, [1, 2, 3, 4]), "_dom").item(0, "gini") == 0.0
    # n − 1 people with almost nothing and one with everything: G → 1 − 1/n (here n = 100).
    y = [1e-9] * 99 + [1.0]
    gini = distribution(frame_of(y, [1.0] * 100), "_dom").item(0, "gini")
    assert gini == pytest.approx(0.99, abs=1e-6)


def test_quantile_is_the_smallest_value_reaching_the_cumulative_weight() -> None:
    # Ten equal weights: C_k = k, N = 10; Q(k/10) reaches C = k exactly at y_k.
    y = [float(k) for k in range(1, 11)]
    cuts = distribution(frame_of(y, [1.0] * 10), "_dom").item(0, "decile_cuts").to_list()
    assert cuts == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    # Weights 3, 1, 6 (N = 10): C = 3, 4, 10. Q(.3) = 10 (C = 3 ≥ 3), Q(.4) = 20, Q(.5) = 30.
    cuts = distribution(frame_of([10.0, 20.0, 30.0], [3, 1, 6]), "_dom").item(0, "decile_cuts")
    assert cuts.to_list() == [10.0, 10.0, 10.0, 20.0, 30.0, 30.0, 30.0, 30.0, 30.0]


def test_quantile_boundaries_hold_with_inexact_float_weights() -> None:
    """Twenty weights of 0.1: the running sum 0.1 + 0.1 = 0.2 falls below 0.1 · N = 0.2000…07
    in floating point, yet C_2 = N/10 exactly; the rule must still stop at y_2."""
    y = [float(k) for k in range(1, 21)]
    v = [0.1] * 20
    cuts = distribution(frame_of(y, v), "_dom").item(0, "decile_cuts").to_list()
    expected = [reference.quantile(as_rows(y, v), Fraction(k, 10)) for k in range(1, 10)]
    assert cuts == expected == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]


def test_ties_at_a_cut_go_to_the_lower_group() -> None:
    # Weights 1 each; y = 1, 2, 2, 2, 5: C = 1..5, N = 5. Quintile cuts Q(.2) = 1, Q(.4) = 2,
    # Q(.6) = 2, Q(.8) = 2. Households with y = 2 have one cut (1) strictly below: group 2;
    # y = 5 has four below: group 5; nobody is in groups 3 and 4.
    frame = frame_of([1.0, 2.0, 2.0, 2.0, 5.0], [1.0] * 5)
    groups = quantile_groups(frame, "_dom", 5, "quintile").get_column("quintile").to_list()
    assert groups == [1, 2, 2, 2, 5]


def test_decile_pop_shares_are_not_forced_to_ten_percent() -> None:
    result = distribution(frame_of([1.0, 2.0, 2.0, 2.0, 5.0], [1.0] * 5), "_dom")
    shares = result.item(0, "decile_pop_shares").to_list()
    # Cuts: Q(.1) = Q(.2) = 1, Q(.3..8) = 2, Q(.9) = 5: y = 2 → decile 3, y = 5 → decile 9.
    assert shares == pytest.approx([0.2, 0, 0.6, 0, 0, 0, 0, 0, 0.2, 0], abs=1e-12)
    assert sum(shares) == pytest.approx(1.0, abs=1e-12)


def test_within_region_quintiles_are_the_regions_own() -> None:
    """A kab's quintile breakdown cuts the kab's distribution, not the nation's."""
    frame = pl.DataFrame(
        {
            "kab_code": ["3201"] * 5 + ["3202"] * 5,
            "urban": [1] * 10,
            "strata": ["a"] * 5 + ["b"] * 5,
            "psu": ["1", "1", "2", "2", "2"] * 2,
            "weight": [1.0] * 10,
            "hh_size": [1] * 10,
            "exp_per_capita": [1.0, 2, 3, 4, 5, 100, 200, 300, 400, 500],
        }
    )
    prepared = prepare_households(frame)
    rows = domain_rows(prepared, ["regency"], ["quintile", "national_quintile"])
    by_kab = rows.sort("kab_code", "exp_per_capita")
    assert by_kab.get_column("quintile").to_list() == [1, 2, 3, 4, 5] * 2
    assert by_kab.get_column("national_quintile").to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
