"""The indicator catalogue file and its condition language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from pydantic import ValidationError

from api.ingest.contracts import ColumnType, all_contracts
from api.measures.catalogue import (
    CATALOGUE_PATH,
    Dataset,
    Theme,
    dataset_columns,
    load_catalogue,
    read_catalogue,
)
from api.measures.conditions import (
    ConditionError,
    check_condition,
    compile_condition,
    parse_condition,
)
from api.measures.errors import UnknownIndicatorError

DTYPES = {
    ColumnType.string: pl.String,
    ColumnType.integer: pl.Int64,
    ColumnType.float: pl.Float64,
    ColumnType.boolean: pl.Boolean,
    ColumnType.date: pl.Date,
}


def empty_frame(dataset: Dataset) -> pl.DataFrame:
    columns = dataset_columns(dataset, all_contracts())
    return pl.DataFrame(schema={name: DTYPES[c.type] for name, c in columns.items()})


def test_the_catalogue_has_at_least_twenty_indicators_across_themes() -> None:
    catalogue = load_catalogue()
    assert len(catalogue.indicators) >= 20
    themes = {i.theme for i in catalogue.indicators}
    assert {Theme.education, Theme.health, Theme.infrastructure, Theme.social_protection} <= themes
    for indicator in catalogue.indicators:
        assert indicator.name.id != indicator.name.en
        assert indicator.description.id
        assert indicator.description.en


def test_every_entry_compiles_and_runs_on_the_contract_columns() -> None:
    """Each condition is valid Polars on a frame typed as the contracts say."""
    for indicator in load_catalogue().indicators:
        frame = empty_frame(indicator.dataset)
        conditions = [indicator.numerator_condition, indicator.denominator_condition]
        for condition in (c for c in conditions if c is not None):
            result = frame.select(compile_condition(condition).alias("x"))
            assert result.schema["x"] == pl.Boolean, indicator.code


def test_unknown_code() -> None:
    with pytest.raises(UnknownIndicatorError) as caught:
        load_catalogue().get("no_such_indicator")
    assert caught.value.status == 404
    assert "aps_7_12" in caught.value.details["known"]


HOUSEHOLD = dataset_columns(Dataset.susenas_household, all_contracts())
PERSON = dataset_columns(Dataset.susenas_person, all_contracts())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"column": "no_such_column", "eq": 1}, "not in the dataset"),
        ({"column": "drinking_water_source", "eq": 12}, "not one of its codes"),
        ({"column": "drinking_water_source", "in": [3, "4"]}, "holds integer values"),
        ({"column": "receives_pkh", "eq": 1}, "holds boolean values"),
        ({"column": "urban", "eq": True}, "holds integer values"),
        ({"column": "receives_pkh", "in": [True]}, "boolean: use eq/ne"),
        ({"column": "age", "between": [12, 7]}, "low is above high"),
        ({"column": "age", "between": [7]}, r"takes \[low, high\]"),
        ({"column": "age", "ge": 150}, "outside the column's range"),
        ({"column": "kab_code", "gt": 3}, "needs a numeric column"),
        ({"column": "kab_code", "per": "hh_size", "gt": 3}, "divides two numeric"),
        ({"column": "floor_area_m2", "per": "hh_size", "eq": 3}, "compared with lt/le"),
        ({"column": "age", "in": []}, "non-empty list"),
        ({"column": "age", "eq": 3, "ne": 4}, "exactly one of"),
        ({"column": "age", "equals": 3}, "exactly one of"),
        ({"all": []}, "non-empty list"),
        ({"any": [{"column": "age", "eq": 3}], "column": "age"}, "nothing beside it"),
        ({"not": {"column": "sex", "eq": 3}}, "not one of its codes"),
        (["column", "age"], "a condition is a mapping"),
        ({"column": "age", "is_null": "yes"}, "is_null takes true or false"),
    ],
)
def test_bad_conditions_are_refused(raw: Any, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        check_condition(parse_condition(raw), PERSON)


def test_conditions_use_three_valued_logic() -> None:
    condition = parse_condition(
        {
            "any": [
                {"column": "receives_pkh", "eq": True},
                {"all": [{"column": "toilet_type", "eq": 1}, {"column": "urban", "eq": 2}]},
            ]
        }
    )
    check_condition(condition, HOUSEHOLD)
    frame = pl.DataFrame(
        {
            "receives_pkh": [True, None, None, False, None],
            "toilet_type": [None, 1, 2, None, None],
            "urban": [1, 2, 2, 1, 2],
        }
    )
    # row 1: true or … = true; row 2: null or (1 and 2) = true; row 3: null or false = null;
    # row 4: false or (null and false) = false; row 5: null or (null and true) = null.
    result = frame.select(compile_condition(condition)).to_series().to_list()
    assert result == [True, True, None, False, None]


def test_ratio_comparison() -> None:
    condition = parse_condition({"column": "floor_area_m2", "per": "hh_size", "ge": 7.2})
    frame = pl.DataFrame({"floor_area_m2": [36.0, 35.9, None], "hh_size": [5, 5, 2]})
    assert frame.select(compile_condition(condition)).to_series().to_list() == [True, False, None]


def _catalogue_with(tmp_path: Path, **changes: Any) -> Path:
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    entry = next(i for i in raw["indicators"] if i["code"] == "aps_7_12")
    entry.update(changes)
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "hh_pkh"}, "used twice"),
        ({"unit": "household"}, "counts persons"),
        ({"breakdowns": ["age"]}, "neither derived nor a coded column"),
        ({"breakdowns": ["kab_code"]}, "neither derived nor a coded column"),
        ({"numerator": {"column": "school_participation", "eq": 9}}, "not one of its codes"),
        ({"levels": ["district"]}, "kab/kota only"),
        ({"formula": "x"}, "Extra inputs"),
    ],
)
def test_bad_entries_fail_at_load(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, ValidationError), match=message):
        read_catalogue(_catalogue_with(tmp_path, **changes))


def test_an_entry_is_all_it_takes(tmp_path: Path) -> None:
    """A new indicator is a new entry: no code change."""
    raw = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))
    raw["indicators"].append(
        {
            "code": "disability_prevalence",
            "theme": "health",
            "name": {"id": "Penyandang disabilitas", "en": "People with a disability"},
            "description": {"id": "Persentase penyandang disabilitas.", "en": "Share disabled."},
            "dataset": "susenas_person",
            "unit": "person",
            "numerator": {"column": "disability", "eq": True},
            "breakdowns": ["sex"],
            "polarity": "neutral",
        }
    )
    path = tmp_path / "indicators.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert read_catalogue(path).get("disability_prevalence").unit.value == "person"
