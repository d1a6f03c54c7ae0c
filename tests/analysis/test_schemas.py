"""The API's row models hold exactly what the engine returns, zero estimates included."""

from __future__ import annotations

import polars as pl
import pytest
from pydantic import BaseModel

from api.analysis.schemas import DomainKeys, IndicatorRow, PovertyRow, ProfileRow
from api.measures import indicator_estimates, load_catalogue, poverty_measures
from api.measures.profile import poverty_profile
from tests.measures.synthetic import households


@pytest.fixture(scope="module")
def survey() -> pl.DataFrame:
    """Nobody in kab 3301 is poor: its P0 is 0, so its RSE and flag are null."""
    frame = households(seed=5)
    rich = pl.when(pl.col("kab_code") == "3301").then(pl.col("exp_per_capita") * 10)
    return frame.with_columns(rich.otherwise(pl.col("exp_per_capita")).alias("exp_per_capita"))


def _check(model: type[BaseModel], frame: pl.DataFrame) -> None:
    """Same fields as the engine's columns (besides the labels), and every row validates."""
    labels = set(DomainKeys.model_fields) - {"level", "region_code"}
    assert set(model.model_fields) - labels == set(frame.columns)
    for row in frame.to_dicts():
        labelled = {**row, "bps_code": row["region_code"], "region_name": "x", "breakdown": {}}
        model.model_validate(labelled)


def test_poverty_rows(survey: pl.DataFrame) -> None:
    frame = poverty_measures(survey, levels=["regency"])
    assert frame.filter(pl.col("region_code") == "3301")["p0_unreliable"].item() is None
    _check(PovertyRow, frame)


def test_indicator_rows(survey: pl.DataFrame) -> None:
    entry = next(i for i in load_catalogue().indicators if i.unit.value == "household")
    frame = indicator_estimates(entry, survey, levels=["regency"])
    _check(IndicatorRow, frame)


def test_profile_rows(survey: pl.DataFrame) -> None:
    frame = poverty_profile(survey, "head_sex", levels=["regency"])
    shaped = frame.rename({"head_sex": "value"}).with_columns(
        pl.lit("head_sex").alias("characteristic"), pl.col("band").cast(pl.String)
    )
    _check(ProfileRow, shaped)
