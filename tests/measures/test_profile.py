"""Profile of the poor against the reference implementation."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from api.measures.errors import InvalidBreakdownError
from api.measures.profile import poverty_profile
from tests.measures import reference, synthetic
from tests.measures.helpers import four_households, mismatches

Row = dict[str, Any]
COMPARED = [
    f"{m}{s}"
    for m in ("pop", "share_of_band", "rate")
    for s in ("", "_se", "_ci_low", "_ci_high", "_rse_pct", "_unreliable")
] + ["n_hh"]


def band(h: Row) -> str:
    y, z = h["exp_per_capita"], h["poverty_line"]
    if y < 0.8 * z:
        return "very_poor"
    if y < z:
        return "poor"
    return "near_poor" if y < 1.2 * z else "non_poor"


def ratio_or_none(sample: list[Row], members: list[Row], x: Any) -> tuple[Any, Any]:
    if not members:
        return None, None
    v = reference.person_weight
    return reference.weighted_mean(members, x, v), reference.standard_error(sample, members, x, v)


def expected(sample: list[Row], row: Row, characteristic: str) -> Row:
    domain = reference.members_of(sample, row, [])
    c, b = row[characteristic], row["band"]
    has_c = [h for h in domain if h[characteristic] == c]
    in_b = [h for h in domain if band(h) == b]
    v = reference.person_weight
    out: Row = {
        "pop": sum(v(h) for h in has_c if band(h) == b),
        "pop_se": reference.standard_error(
            sample, domain, lambda h: float(h[characteristic] == c and band(h) == b), v, total=True
        ),
        "n_hh": sum(1 for h in has_c if band(h) == b),
    }
    out["rate"], out["rate_se"] = ratio_or_none(sample, has_c, lambda h: float(band(h) == b))
    out["share_of_band"], out["share_of_band_se"] = ratio_or_none(
        sample, in_b, lambda h: float(h[characteristic] == c)
    )
    for name in ("pop", "rate", "share_of_band"):
        theta, se = out[name], out[f"{name}_se"]
        known = theta is not None
        out[f"{name}_ci_low"] = theta - reference.Z95 * se if known else None
        out[f"{name}_ci_high"] = theta + reference.Z95 * se if known else None
        out[f"{name}_rse_pct"] = 100 * se / theta if known and theta != 0 else None
        out[f"{name}_unreliable"] = 100 * se / theta > 25 if known and theta != 0 else None
    return out


@pytest.mark.parametrize("characteristic", ["head_work_sector", "urban"])
def test_profile_matches_the_reference(characteristic: str) -> None:
    households = synthetic.households(seed=4)
    sample = households.to_dicts()
    result = poverty_profile(households, characteristic, levels=["national", "regency"])
    values = {h[characteristic] for h in sample}
    regions = {reference.region_code(h, level) for h in sample for level in ("national", "regency")}
    assert result.height == len(regions) * len(values) * 4
    for row in result.iter_rows(named=True):
        wrong = mismatches(row, expected(sample, row, characteristic), COMPARED)
        assert not wrong, f"{row['region_code']} {row[characteristic]} {row['band']}: {wrong}"


def test_bands_partition_each_value() -> None:
    result = poverty_profile(synthetic.households(seed=4), "head_sex", levels=["regency"])
    totals = result.group_by("region_code", "head_sex").agg(pl.col("rate").sum())
    assert totals.get_column("rate").to_list() == pytest.approx([1.0] * totals.height)
    shares = result.drop_nulls("share_of_band").group_by("region_code", "band")
    assert shares.agg(pl.col("share_of_band").sum()).get_column("share_of_band").to_list() == (
        pytest.approx([1.0] * shares.agg(pl.len()).height)
    )


def test_household_size_bands_and_hand_values() -> None:
    # Hand example (see test_poverty_examples): h1 very poor (m 2), h2 near poor (m 1),
    # h3 poor (m 1, y = 0.8 z), h4 non-poor (m 5).
    result = poverty_profile(four_households(), "hh_size_band")
    rows = {(r["hh_size_band"], r["band"]): r for r in result.to_dicts()}
    assert rows[("1-2", "very_poor")]["pop"] == 2.0
    assert rows[("1-2", "poor")]["pop"] == 2.0  # h3: w 2 × m 1
    assert rows[("1-2", "near_poor")]["rate"] == pytest.approx(0.2)  # 1 of 2 + 2 + 1 people
    assert rows[("5-6", "non_poor")]["share_of_band"] == 1.0
    assert rows[("5-6", "poor")]["share_of_band"] == 0.0
    assert rows[("5-6", "poor")]["rate"] == 0.0


def test_characteristic_cannot_also_be_a_breakdown() -> None:
    with pytest.raises(InvalidBreakdownError):
        poverty_profile(four_households(), "urban", breakdowns=["urban"])
