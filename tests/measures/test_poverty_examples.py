"""Every poverty measure on small examples worked out by hand (values in the comments).

The four households, one stratum "s" with PSUs A = {h1, h2} and B = {h3, h4}, z = 100:

    hh  y    w  m  v=w·m  poor  gap  gap²  note
    h1  50   1  2  2      yes   .5   .25   very poor (50 < 80)
    h2  100  1  1  1      no    0    0     exactly on the line: not poor, near poor
    h3  80   2  1  2      yes   .2   .04   exactly 0.8 z: not very poor
    h4  200  1  5  5      no    0    0

N = 10; P0 = 4/10; P1 = (2·.5 + 2·.2)/10 = .14; P2 = (2·.25 + 2·.04)/10 = .058;
Watts = (2 ln 2 + 2 ln 1.25)/10 = 0.2 ln 2.5; mean = (100 + 100 + 160 + 1000)/10 = 136.
"""

from __future__ import annotations

import math

import polars as pl
import pytest

from api.measures.poverty import poverty_measures
from tests.measures.helpers import four_households

Z95 = 1.959963984540054


@pytest.fixture(scope="module")
def national() -> dict[str, object]:
    return poverty_measures(four_households()).row(0, named=True)


def test_headcount_gap_severity_watts(national: dict[str, object]) -> None:
    assert national["level"] == "national"
    assert national["region_code"] == "00"
    assert national["p0"] == pytest.approx(0.4, abs=1e-12)
    assert national["p1"] == pytest.approx(0.14, abs=1e-12)
    assert national["p2"] == pytest.approx(0.058, abs=1e-12)
    assert national["watts"] == pytest.approx(0.2 * math.log(2.5), abs=1e-12)
    assert national["n_poor"] == pytest.approx(4.0, abs=1e-12)
    assert national["pop"] == pytest.approx(10.0, abs=1e-12)
    assert national["mean_exp"] == pytest.approx(136.0, abs=1e-12)
    assert national["poverty_line"] == pytest.approx(100.0, abs=1e-12)


def test_near_very_and_extreme_bands(national: dict[str, object]) -> None:
    assert national["near_poor"] == pytest.approx(0.1, abs=1e-12)  # h2 only (y = z)
    assert national["very_poor"] == pytest.approx(0.2, abs=1e-12)  # h1 only (h3 has y = 0.8 z)
    assert national["extreme_poor"] is None  # no extreme line given
    with_line = poverty_measures(four_households(extreme_poverty_line=[60.0, 60.0, 80.0, 60.0]))
    # h1 (50 < 60) is extreme poor; h3 sits on its extreme line (80) and is not.
    assert with_line.item(0, "extreme_poor") == pytest.approx(0.2, abs=1e-12)


def test_standard_errors_by_hand(national: dict[str, object]) -> None:
    # P0 scores u = v(x − .4)/10: .12, −.04 | .12, −.2 → U_A = .08, U_B = −.08, Ū = 0;
    # V = 2/1 · (.08² + .08²) = .0256, SE = .16.
    assert national["p0_se"] == pytest.approx(0.16, rel=1e-12)
    assert national["p0_ci_low"] == pytest.approx(0.4 - Z95 * 0.16, rel=1e-12)
    assert national["p0_ci_high"] == pytest.approx(0.4 + Z95 * 0.16, rel=1e-12)
    assert national["p0_rse_pct"] == pytest.approx(40.0, rel=1e-12)
    assert national["p0_unreliable"] is True
    # P1 scores: .072, −.014 | .012, −.07 → U = ±.058; V = 2 · 2 · .058², SE = .116.
    assert national["p1_se"] == pytest.approx(0.116, rel=1e-12)
    assert national["p1_rse_pct"] == pytest.approx(100 * 0.116 / 0.14, rel=1e-12)
    # Number of poor: U_A = v1 = 2, U_B = v3 = 2, equal PSU totals: SE 0, reliable.
    assert national["n_poor_se"] == pytest.approx(0.0, abs=1e-12)
    assert national["n_poor_rse_pct"] == pytest.approx(0.0, abs=1e-12)
    assert national["n_poor_unreliable"] is False
    assert (national["n_hh"], national["n_psu"], national["n_strata"]) == (4, 2, 1)


def test_gini_deciles_and_shares_by_hand(national: dict[str, object]) -> None:
    # Pairwise: 2·(2·2·30 + 2·1·50 + 2·5·150 + 2·1·20 + 2·5·120 + 1·5·100) = 6920;
    # G = 6920 / (2 · 10² · 136) = 173/680.
    assert national["gini"] == pytest.approx(173 / 680, abs=1e-12)
    # Cumulative weights 2, 4, 5, 10: Q(.2) = 50 (C = 2 reaches .2·10 exactly), Q(.5) = 100.
    assert national["decile_cuts"] == [50.0, 50.0, 80.0, 80.0, 100.0, 200.0, 200.0, 200.0, 200.0]
    assert national["quintile_cuts"] == [50.0, 80.0, 200.0, 200.0]
    # Deciles: y=50 → 1, y=80 → 3 (50, 50 below), y=100 → 5, y=200 → 6.
    assert national["decile_pop_shares"] == pytest.approx(
        [0.2, 0, 0.2, 0, 0.1, 0.5, 0, 0, 0, 0], abs=1e-12
    )
    assert national["decile_shares"] == pytest.approx(
        [100 / 1360, 0, 160 / 1360, 0, 100 / 1360, 1000 / 1360, 0, 0, 0, 0], abs=1e-12
    )
    assert national["share_bottom40"] == pytest.approx(260 / 1360, abs=1e-12)  # y ≤ Q(.4) = 80


def test_one_household_domains() -> None:
    frame = four_households(group=["poor_alone", "rest", "rest", "rich_alone"])
    rows = {r["group"]: r for r in poverty_measures(frame, breakdowns=["group"]).to_dicts()}
    alone = rows["poor_alone"]  # h1 only
    assert (alone["p0"], alone["p0_se"]) == (1.0, 0.0)
    assert alone["gini"] == pytest.approx(0.0, abs=1e-12)
    assert alone["decile_cuts"] == [50.0] * 9
    assert alone["decile_shares"] == [1.0] + [0.0] * 9
    assert alone["share_bottom40"] == 1.0
    # Its number of poor is a total: U_A = 2 and U_B = 0 (PSU B has no household of the
    # domain but counts in n_h = 2): V = 2 · ((2 − 1)² + (0 − 1)²) = 4, SE = 2.
    assert alone["n_poor"] == 2.0
    assert alone["n_poor_se"] == pytest.approx(2.0, rel=1e-12)
    assert (alone["n_hh"], alone["n_psu"], alone["n_strata"]) == (1, 1, 1)
    rich = rows["rich_alone"]  # h4: nobody poor, so RSE and the flag have nothing to judge
    assert (rich["p0"], rich["p0_se"], rich["p0_rse_pct"], rich["p0_unreliable"]) == (
        0.0,
        0.0,
        None,
        None,
    )
    assert rich["p0_ci_low"] == 0.0


def test_no_nan_anywhere() -> None:
    frame = four_households(group=["a", "b", "b", "c"])
    result = poverty_measures(frame, levels=["national", "regency"], breakdowns=["group"])
    floats = [c for c, t in result.schema.items() if t == pl.Float64]
    assert result.select(pl.any_horizontal(pl.col(floats).is_nan().any())).item() is False


def test_ties_do_not_depend_on_row_order() -> None:
    frame = four_households().with_columns(exp_per_capita=pl.Series([80.0, 100.0, 80.0, 80.0]))
    forward = poverty_measures(frame).row(0, named=True)
    backward = poverty_measures(frame.reverse()).row(0, named=True)
    for name in ("gini", "decile_cuts", "decile_shares", "p1_se", "share_bottom40"):
        assert forward[name] == pytest.approx(backward[name], abs=1e-15)
    # Pairwise by hand: values 80 (v = 2 + 2 + 5 = 9) and 100 (v = 1): 2·9·1·20 / (2·100·82).
    assert forward["gini"] == pytest.approx(360 / 16400, abs=1e-12)


def test_unequal_weights_matter() -> None:
    """The same households with equal weights give another P0: the weights are used."""
    unequal = poverty_measures(four_households()).item(0, "p0")
    equal = poverty_measures(four_households().with_columns(weight=pl.lit(1.0))).item(0, "p0")
    # Equal weights: v = m = 2, 1, 1, 5 → poor 2 + 1 of 9.
    assert equal == pytest.approx(3 / 9, abs=1e-12)
    assert unequal != pytest.approx(equal)
