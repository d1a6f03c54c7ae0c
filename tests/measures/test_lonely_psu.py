"""Strata with a single PSU: an error naming them by default, or a documented policy."""

from __future__ import annotations

from functools import partial

import polars as pl
import pytest

from api.measures.errors import SinglePsuStratumError
from api.measures.poverty import poverty_measures
from api.measures.variance import LonelyPsu
from tests.measures import reference, synthetic
from tests.measures.helpers import mismatches

SE_NAMES = [f"{m}_se" for m in ("p0", "p1", "p2", "watts", "n_poor")]
LONELY = "3301-2"


@pytest.fixture(scope="module")
def sample() -> pl.DataFrame:
    return synthetic.households(seed=5, lonely_stratum=LONELY)


def test_default_is_an_error_naming_the_stratum(sample: pl.DataFrame) -> None:
    with pytest.raises(SinglePsuStratumError) as caught:
        poverty_measures(sample, levels=["regency"])
    assert LONELY in caught.value.message
    assert caught.value.details["strata"] == [LONELY]
    assert caught.value.status == 422
    assert set(caught.value.details["policies"]) == {"certainty", "adjust"}


def test_domains_that_do_not_touch_the_stratum_need_no_policy(sample: pl.DataFrame) -> None:
    result = poverty_measures(sample, levels=["regency"], regions=["3201", "3202"])
    assert result.get_column("region_code").to_list() == ["3201", "3202"]


@pytest.mark.parametrize("policy", [LonelyPsu.certainty, LonelyPsu.adjust])
def test_policies_match_the_reference(sample: pl.DataFrame, policy: LonelyPsu) -> None:
    rows = sample.to_dicts()
    result = poverty_measures(
        sample, levels=["national", "regency"], breakdowns=["head_sex"], lonely_psu=policy
    )
    for row in result.iter_rows(named=True):
        members = reference.members_of(rows, row, ["head_sex"])
        expected = reference.poverty(rows, members, lonely=policy.value)
        wrong = mismatches(row, expected, SE_NAMES)
        assert not wrong, f"{policy} {row['region_code']} {row['head_sex']}: " + "; ".join(wrong)


def test_adjust_adds_variance_where_certainty_adds_none(sample: pl.DataFrame) -> None:
    """The lonely stratum's own kab × urban domain: certainty gives SE 0, adjust does not."""
    kab_by_urban = partial(
        poverty_measures, sample, levels=["regency"], breakdowns=["urban"], regions=["3301"]
    )
    certain = kab_by_urban(lonely_psu=LonelyPsu.certainty)
    adjusted = kab_by_urban(lonely_psu=LonelyPsu.adjust)
    rural = pl.col("urban") == 2
    assert certain.filter(rural).item(0, "n_poor_se") == 0.0
    assert adjusted.filter(rural).item(0, "n_poor_se") > 0.0
    # The urban stratum of the same kab has two PSUs or more: both policies agree there.
    urban = pl.col("urban") == 1
    assert certain.filter(urban).item(0, "p0_se") == pytest.approx(
        adjusted.filter(urban).item(0, "p0_se"), rel=1e-12
    )
