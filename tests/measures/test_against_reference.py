"""The engine against the independent implementation in ``reference.py``, on generated samples.

Every measure of every domain, for several level and breakdown combinations, including
breakdowns that cut across strata (so that strata hold PSUs without a household of the domain,
which MEASURES.md counts in n_h).
"""

from __future__ import annotations

import polars as pl
import pytest

from api.measures.poverty import poverty_measures
from tests.measures import reference, synthetic
from tests.measures.helpers import mismatches

MEASURES = [
    *(
        f"{m}{s}"
        for m in ("p0", "p1", "p2", "watts", "n_poor")
        for s in ("", "_se", "_ci_low", "_ci_high", "_rse_pct", "_unreliable")
    ),
    "pop",
    "mean_exp",
    "poverty_line",
    "near_poor",
    "very_poor",
    "extreme_poor",
    "gini",
    "decile_cuts",
    "quintile_cuts",
    "decile_shares",
    "decile_pop_shares",
    "share_bottom40",
    "n_hh",
    "n_psu",
    "n_strata",
]


@pytest.fixture(scope="module")
def sample() -> list[dict[str, object]]:
    return synthetic.households(seed=3).to_dicts()


@pytest.mark.parametrize(
    ("levels", "breakdowns"),
    [
        (["national", "province", "regency"], []),
        (["national", "regency"], ["urban"]),
        (["national", "province"], ["head_sex"]),
        (["regency"], ["head_work_sector"]),  # null is a value of its own
    ],
)
def test_every_measure_matches_the_reference(
    sample: list[dict[str, object]], levels: list[str], breakdowns: list[str]
) -> None:
    result = poverty_measures(pl.DataFrame(sample), levels=levels, breakdowns=breakdowns)
    expected_domains = {
        (level, code, *(h[b] for b in breakdowns))
        for h in sample
        for level in levels
        for code in [reference.region_code(h, level)]
    }
    assert result.height == len(expected_domains)
    for row in result.iter_rows(named=True):
        members = reference.members_of(sample, row, breakdowns)
        expected = reference.poverty(sample, members)
        wrong = mismatches(row, expected, MEASURES)
        assert not wrong, f"{row['level']} {row['region_code']} {breakdowns}:\n" + "\n".join(wrong)


def test_the_reference_is_not_trivially_equal() -> None:
    """Guard: the compared SEs are real numbers, not zeros that would match anything."""
    sample = synthetic.households(seed=3)
    result = poverty_measures(sample, levels=["regency"], breakdowns=["urban"])
    assert result.select(pl.col("p0_se").min()).item() > 0
    assert result.select(pl.col("n_poor_se").min()).item() > 0
    assert result.select(pl.col("gini").min()).item() > 0.05
