"""Catalogue indicators against a straightforward implementation, and their errors."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import polars as pl
import pytest

from api.errors import InvalidParameterError
from api.measures.catalogue import load_catalogue
from api.measures.errors import InvalidBreakdownError, InvalidMicrodataError
from api.measures.indicators import indicator_estimates
from tests.measures import reference, synthetic
from tests.measures.helpers import mismatches

Row = dict[str, Any]
Flag = Callable[[Row], bool | None]

COMPARED = [
    f"{m}{s}"
    for m in ("value", "count")
    for s in ("", "_se", "_ci_low", "_ci_high", "_rse_pct", "_unreliable")
] + ["pop", "n_obs", "n_hh", "n_psu", "n_strata", "n_missing"]


@pytest.fixture(scope="module")
def households() -> pl.DataFrame:
    return synthetic.households(seed=9)


@pytest.fixture(scope="module")
def persons(households: pl.DataFrame) -> pl.DataFrame:
    return synthetic.persons(households)


def _and(*values: bool | None) -> bool | None:
    """Kleene AND, written out: false wins, then unknown."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(*values: bool | None) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _isin(value: object, codes: list[int]) -> bool | None:
    return None if value is None else value in codes


def proper_sanitation(h: Row) -> bool | None:
    return _and(
        _isin(h["toilet_facility"], [1, 2, 3]),
        None if h["toilet_type"] is None else h["toilet_type"] == 1,
        _or(
            _isin(h["feces_disposal"], [1, 2]),
            _and(h["urban"] == 2, h["feces_disposal"] == 4),
        ),
    )


def with_quintiles(sample: list[Row], level: str) -> list[Row]:
    """Each household with the quintile of its own region, by the reference's exact rule."""
    out = []
    for h in sample:
        code = reference.region_code(h, level)
        region = [g for g in sample if reference.region_code(g, level) == code]
        cuts = [reference.quantile(region, Fraction(k, 5)) for k in range(1, 5)]
        out.append({**h, "quintile": reference.group_of(h["exp_per_capita"], cuts)})
    return out


def expected_rows(
    sample: list[Row],
    rows: list[Row],
    domain: Row,
    breakdowns: list[str],
    population: Callable[[Row], bool],
    numerator: Flag,
    weight: Callable[[Row], float],
) -> Row:
    """The reference figures of one domain (rows: households or persons with their design)."""
    in_domain = [
        r
        for r in rows
        if reference.in_region(r, domain["level"], domain["region_code"])
        and all(r[b] == domain[b] for b in breakdowns)
        and population(r)
    ]
    answered = [r for r in in_domain if numerator(r) is not None]
    x: Callable[[Row], float] = lambda r: float(bool(numerator(r)))  # noqa: E731
    value = reference.weighted_mean(answered, x, weight)
    value_se = reference.standard_error(sample, answered, x, weight)
    count = sum(weight(r) * x(r) for r in answered)
    count_se = reference.standard_error(sample, answered, x, weight, total=True)
    out: Row = {
        "value": value,
        "value_se": value_se,
        "count": count,
        "count_se": count_se,
        "pop": sum(weight(r) for r in answered),
        "n_obs": len(answered),
        "n_hh": len({r["hh_id"] for r in answered}),
        "n_psu": len({(r["strata"], r["psu"]) for r in answered}),
        "n_strata": len({r["strata"] for r in answered}),
        "n_missing": len(in_domain) - len(answered),
    }
    for name in ("value", "count"):
        theta, se = out[name], out[f"{name}_se"]
        out[f"{name}_ci_low"] = theta - reference.Z95 * se
        out[f"{name}_ci_high"] = theta + reference.Z95 * se
        out[f"{name}_rse_pct"] = None if theta == 0 else 100 * se / theta
        out[f"{name}_unreliable"] = None if theta == 0 else 100 * se / theta > 25
    return out


def check(result: pl.DataFrame, expected_of: Callable[[Row], Row]) -> None:
    assert result.height > 0
    for row in result.iter_rows(named=True):
        wrong = mismatches(row, expected_of(row), COMPARED)
        assert not wrong, f"{row}:\n" + "\n".join(wrong)


def test_household_indicator_by_urban_and_quintile(households: pl.DataFrame) -> None:
    """Proper sanitation: nested all/any with missing toilet types (Kleene logic)."""
    sample = households.to_dicts()
    rows = with_quintiles(sample, "regency")
    result = indicator_estimates(
        load_catalogue().get("hh_proper_sanitation"),
        households,
        levels=["regency"],
        breakdowns=["urban", "quintile"],
    )
    assert result.get_column("indicator").unique().to_list() == ["hh_proper_sanitation"]
    check(
        result,
        lambda d: expected_rows(
            sample,
            rows,
            d,
            ["urban", "quintile"],
            lambda r: True,
            proper_sanitation,
            lambda r: r["weight"],
        ),
    )


def test_missing_items_leave_the_population(households: pl.DataFrame) -> None:
    result = indicator_estimates(load_catalogue().get("hh_improved_water"), households)
    nulls = households.get_column("drinking_water_source").null_count()
    assert nulls > 0
    assert result.item(0, "n_missing") == nulls
    assert result.item(0, "n_obs") == households.height - nulls


def test_person_share_on_the_household_file_weights_by_household_size(
    households: pl.DataFrame,
) -> None:
    sample = households.to_dicts()
    improved = [1, 2, 3, 4, 5, 7, 10]
    result = indicator_estimates(
        load_catalogue().get("pop_improved_water"), households, levels=["national", "province"]
    )
    check(
        result,
        lambda d: expected_rows(
            sample,
            sample,
            d,
            [],
            lambda r: True,
            lambda r: _isin(r["drinking_water_source"], improved),
            reference.person_weight,
        ),
    )


def test_person_indicator_by_sex_with_person_weights(
    households: pl.DataFrame, persons: pl.DataFrame
) -> None:
    """School participation 7-12: a denominator by age, the person weight or else w."""
    sample = households.to_dicts()
    by_id = {h["hh_id"]: h for h in sample}
    people = [{**by_id[p["hh_id"]], **p} for p in persons.to_dicts()]
    result = indicator_estimates(
        load_catalogue().get("aps_7_12"),
        households,
        persons,
        levels=["national", "regency"],
        breakdowns=["sex"],
    )
    check(
        result,
        lambda d: expected_rows(
            sample,
            people,
            d,
            ["sex"],
            lambda r: 7 <= r["age"] <= 12,
            lambda r: None if r["school_participation"] is None else r["school_participation"] == 2,
            lambda r: r["person_weight"] if r["person_weight"] is not None else r["weight"],
        ),
    )


def test_breakdown_not_offered(households: pl.DataFrame) -> None:
    with pytest.raises(InvalidBreakdownError, match="cannot be broken down by sex"):
        indicator_estimates(load_catalogue().get("hh_pkh"), households, breakdowns=["sex"])


def test_person_indicator_needs_persons(households: pl.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="person file"):
        indicator_estimates(load_catalogue().get("aps_7_12"), households)


def test_persons_without_a_household(households: pl.DataFrame, persons: pl.DataFrame) -> None:
    stray = persons.head(1).with_columns(hh_id=pl.lit("NOPE"))
    with pytest.raises(InvalidMicrodataError, match="NOPE/1"):
        indicator_estimates(
            load_catalogue().get("aps_7_12"), households, pl.concat([persons, stray])
        )


def test_regions_filter_keeps_other_households_as_design(
    households: pl.DataFrame, persons: pl.DataFrame
) -> None:
    """Persons of other kabs are not orphans when only one kab is asked."""
    one = indicator_estimates(
        load_catalogue().get("literacy_15plus"),
        households,
        persons,
        levels=["regency"],
        regions=["3202"],
    )
    every = indicator_estimates(
        load_catalogue().get("literacy_15plus"), households, persons, levels=["regency"]
    )
    assert one.to_dicts() == every.filter(pl.col("region_code") == "3202").to_dicts()


def test_levels_the_entry_does_not_offer(households: pl.DataFrame) -> None:
    national_only = load_catalogue().get("hh_pkh").model_copy(update={"levels": ["national"]})
    assert indicator_estimates(national_only, households).height == 1
    with pytest.raises(InvalidParameterError, match="not estimated at level"):
        indicator_estimates(national_only, households, levels=["regency"])
