"""A prepared sample gives the same answers as the raw frame, and the same on every run."""

from __future__ import annotations

from functools import partial

import polars as pl
import pytest

from api.measures import poverty_measures, poverty_profile, prepare_sample
from tests.measures import synthetic
from tests.measures.helpers import four_households


def test_prepared_sample_equals_raw_frame() -> None:
    households = synthetic.households(seed=6)
    sample = prepare_sample(households)
    by_urban = partial(poverty_measures, levels=["national", "regency"], breakdowns=["urban"])
    assert by_urban(sample).equals(by_urban(households))
    assert poverty_profile(sample, "head_sex").equals(poverty_profile(households, "head_sex"))


def test_a_sample_without_lines_cannot_give_poverty() -> None:
    sample = prepare_sample(four_households(), poverty_line=False)
    with pytest.raises(ValueError, match="prepared without"):
        poverty_measures(sample)


def test_repeated_runs_give_identical_bits() -> None:
    """Large enough for Polars to split group-bys across threads (a hash group-by would add
    partial sums in varying order and change the last bits from run to run)."""
    households = pl.concat(
        synthetic.households(seed=i).with_columns(
            strata=pl.col("strata") + f"/{i}", hh_id=pl.col("hh_id") + f"/{i}"
        )
        for i in range(40)
    )
    run = partial(
        poverty_measures,
        households,
        levels=["national", "province", "regency"],
        breakdowns=["urban"],
    )
    first = run()
    for _ in range(4):
        assert run().equals(first)
