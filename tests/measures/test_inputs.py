"""Bad microdata and bad requests: typed errors (HTTP 422) that name what is wrong."""

from __future__ import annotations

import polars as pl
import pytest

from api.errors import ApiError, InvalidParameterError
from api.measures.errors import (
    EmptySampleError,
    InvalidBreakdownError,
    InvalidMicrodataError,
    MissingColumnsError,
    PovertyLineMissingError,
)
from api.measures.poverty import poverty_measures
from tests.measures.helpers import four_households


def lines(**overrides: list[object]) -> pl.DataFrame:
    return pl.DataFrame(
        {"kab_code": ["3201", "3201"], "urban": [1, 2], "poverty_line": [100.0, 90.0], **overrides}
    )


@pytest.mark.parametrize(
    ("column", "values", "rule"),
    [
        ("exp_per_capita", [50.0, 0.0, 80.0, 200.0], "zero or negative expenditure"),
        ("exp_per_capita", [50.0, -3.0, 80.0, 200.0], "zero or negative expenditure"),
        ("exp_per_capita", [50.0, float("nan"), 80.0, 200.0], "zero or negative expenditure"),
        ("exp_per_capita", [50.0, None, 80.0, 200.0], "missing or non-numeric expenditure"),
        ("weight", [1.0, None, 2.0, 1.0], "missing or non-numeric weight"),
        ("weight", [1.0, 0.0, 2.0, 1.0], "not a positive number"),
        ("hh_size", [2, 0, 1, 5], "household size"),
        ("poverty_line", [100.0, -1.0, 100.0, 100.0], "poverty line that is not a positive"),
        ("psu", ["A", None, "B", "B"], "missing code"),
    ],
)
def test_bad_values_name_the_household(column: str, values: list[object], rule: str) -> None:
    frame = four_households().with_columns(pl.Series(column, values))
    with pytest.raises(InvalidMicrodataError) as caught:
        poverty_measures(frame)
    error = caught.value
    assert error.status == 422
    assert rule in error.message
    assert error.details["column"] == column
    assert error.details["rows"] == ["h2"]
    assert "h2" in error.message


def test_rows_are_numbered_when_there_is_no_hh_id() -> None:
    frame = four_households(exp_per_capita=[50.0, 100.0, 80.0, 0.0]).drop("hh_id")
    with pytest.raises(InvalidMicrodataError, match="row 4"):
        poverty_measures(frame)


def test_a_missing_poverty_line_names_the_kab_and_urban_class() -> None:
    frame = four_households(kab_code=["3201", "3201", "3202", "3202"], urban=[1, 1, 2, 2]).drop(
        "poverty_line"
    )
    with pytest.raises(PovertyLineMissingError) as caught:
        poverty_measures(frame, poverty_lines=lines())
    assert caught.value.details["keys"] == [{"kab_code": "3202", "urban": 2}]
    assert caught.value.details["households"] == 2
    assert "kab_code=3202/urban=2" in caught.value.message


def test_poverty_lines_from_a_separate_table_equal_the_column() -> None:
    with_column = poverty_measures(four_households())
    from_table = poverty_measures(four_households().drop("poverty_line"), poverty_lines=lines())
    assert with_column.equals(from_table)
    # A household's own line wins over the table; empty ones fall back to it.
    mixed = four_households(poverty_line=[None, None, 60.0, None])
    result = poverty_measures(mixed, poverty_lines=lines()).row(0, named=True)
    assert result["p0"] == pytest.approx(0.2, abs=1e-12)  # h3 (y = 80) is no longer poor


def test_poverty_lines_by_year() -> None:
    table = lines(year=[2023, 2023]).vstack(lines(year=[2024, 2024], poverty_line=[40.0, 40.0]))
    frame = four_households(year=[2024] * 4).drop("poverty_line")
    assert poverty_measures(frame, poverty_lines=table).item(0, "p0") == 0.0
    with pytest.raises(MissingColumnsError, match="several years"):
        poverty_measures(frame.drop("year"), poverty_lines=table)


def test_duplicated_poverty_line_keys_are_refused() -> None:
    table = lines().vstack(lines())
    with pytest.raises(InvalidMicrodataError, match="more than one line"):
        poverty_measures(four_households().drop("poverty_line"), poverty_lines=table)


def test_missing_columns_are_listed() -> None:
    with pytest.raises(MissingColumnsError) as caught:
        poverty_measures(four_households().drop("strata", "weight"))
    assert caught.value.details["columns"] == ["strata", "weight"]


@pytest.mark.parametrize("breakdown", ["no_such_column", "weight", "kab_code", "_v"])
def test_breakdowns_must_be_columns_or_derived(breakdown: str) -> None:
    with pytest.raises(InvalidBreakdownError):
        poverty_measures(four_households(), breakdowns=[breakdown])


def test_unknown_level() -> None:
    with pytest.raises(InvalidParameterError, match="Unknown level"):
        poverty_measures(four_households(), levels=["district"])


def test_every_error_is_an_api_error() -> None:
    for cls in (InvalidMicrodataError, MissingColumnsError, PovertyLineMissingError):
        assert issubclass(cls, ApiError)
        assert cls.status == 422


def test_an_empty_sample_is_refused() -> None:
    with pytest.raises(EmptySampleError):
        poverty_measures(four_households().head(0))


def test_regions_absent_from_the_data_give_no_rows() -> None:
    result = poverty_measures(four_households(), levels=["regency"], regions=["9999"])
    assert result.height == 0
    assert "p0_unreliable" in result.columns
