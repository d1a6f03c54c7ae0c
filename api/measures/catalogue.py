"""The indicator catalogue: microdata indicators declared as data in ``data/catalogue/``.

Each entry of ``indicators.yaml`` says which dataset it is computed from, its unit (a share of
households or of persons), the condition that puts a row in the numerator and the one that
defines the population (the denominator), the breakdowns it may be cut by, its polarity and its
names in Indonesian and English. Adding an indicator is adding an entry: the engine
(:mod:`api.measures.indicators`) runs any entry, and loading checks every condition against the
data contracts, so a misspelt column or code fails at start-up rather than in an answer.

Entries with the same sub-condition share it through YAML anchors under the top-level
``definitions`` key, which is otherwise ignored.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from api.ingest.contracts import Column, ColumnType, Contract, Text, all_contracts
from api.measures.conditions import Condition, check_condition, parse_condition
from api.measures.domains import DERIVED_BREAKDOWNS, NOT_BREAKDOWNS
from api.measures.errors import UnknownIndicatorError
from api.regions.levels import Level
from api.settings import REPO_ROOT

CATALOGUE_PATH = REPO_ROOT / "data" / "catalogue" / "indicators.yaml"
HOUSEHOLD = "susenas_household"
PERSON = "susenas_person"


class Theme(StrEnum):
    poverty = "poverty"
    education = "education"
    health = "health"
    infrastructure = "infrastructure"
    social_protection = "social_protection"
    employment = "employment"


class Polarity(StrEnum):
    higher_is_better = "higher_is_better"
    lower_is_better = "lower_is_better"
    neutral = "neutral"  # neither direction is better (e.g. a prevalence used for targeting)


class Unit(StrEnum):
    household = "household"
    person = "person"


class Dataset(StrEnum):
    susenas_household = HOUSEHOLD
    susenas_person = PERSON


class Indicator(BaseModel):
    """One microdata indicator: a weighted share of the population that meets the numerator.

    The weight is the household weight w for ``unit: household``, the person weight
    v = w · m for ``unit: person`` on the household dataset (people living in households
    that...), and the member's ``person_weight`` (else the household weight) on the person
    dataset. Values are fractions.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    theme: Theme
    name: Text
    description: Text
    dataset: Dataset
    unit: Unit
    numerator: dict[str, Any] = Field(description="Condition for being counted (see conditions).")
    denominator: dict[str, Any] | None = Field(
        default=None, description="Condition defining the population; absent: everyone."
    )
    breakdowns: list[str] = Field(default_factory=list)
    polarity: Polarity
    levels: list[Level] = Field(
        default_factory=lambda: [Level.national, Level.province, Level.regency]
    )

    _numerator: Condition = PrivateAttr()
    _denominator: Condition | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _parse(self) -> Indicator:
        if self.dataset is Dataset.susenas_person and self.unit is Unit.household:
            raise ValueError(f"{self.code}: a person-file indicator counts persons (unit: person)")
        if not set(self.levels) <= {Level.national, Level.province, Level.regency}:
            raise ValueError(f"{self.code}: Susenas estimates exist down to kab/kota only")
        self._numerator = parse_condition(self.numerator, f"{self.code}.numerator")
        if self.denominator is not None:
            self._denominator = parse_condition(self.denominator, f"{self.code}.denominator")
        return self

    @property
    def numerator_condition(self) -> Condition:
        return self._numerator

    @property
    def denominator_condition(self) -> Condition | None:
        return self._denominator


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    definitions: dict[str, Any] = Field(
        default_factory=dict, description="YAML anchors shared by entries; not read otherwise."
    )
    indicators: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> Catalogue:
        codes = [i.code for i in self.indicators]
        duplicated = sorted({c for c in codes if codes.count(c) > 1})
        if duplicated:
            raise ValueError(f"indicator code(s) used twice: {', '.join(duplicated)}")
        return self

    def get(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise UnknownIndicatorError(code, [i.code for i in self.indicators])


def dataset_columns(dataset: Dataset, contracts: dict[str, Contract]) -> dict[str, Column]:
    """Columns a condition or breakdown may use: person rows also see their household's."""
    columns = {c.name: c for c in contracts[HOUSEHOLD].columns}
    if dataset is Dataset.susenas_person:
        columns |= {c.name: c for c in contracts[PERSON].columns}
    return columns


def check_against_contracts(catalogue: Catalogue, contracts: dict[str, Contract]) -> None:
    """Every condition and breakdown of every entry fits the data contracts."""
    for ind in catalogue.indicators:
        columns = dataset_columns(ind.dataset, contracts)
        check_condition(ind.numerator_condition, columns, f"{ind.code}.numerator")
        if ind.denominator_condition is not None:
            check_condition(ind.denominator_condition, columns, f"{ind.code}.denominator")
        for b in ind.breakdowns:
            if b in DERIVED_BREAKDOWNS:
                continue
            column = columns.get(b)
            categorical = column is not None and (
                column.codes is not None or column.type is ColumnType.boolean
            )
            if b in NOT_BREAKDOWNS or not categorical:
                raise ValueError(
                    f"{ind.code}: breakdown '{b}' is neither derived nor a coded column"
                )


def read_catalogue(path: Path, contracts: dict[str, Contract] | None = None) -> Catalogue:
    """Read and check a catalogue file (``ValueError`` or pydantic's on any problem)."""
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    catalogue = Catalogue.model_validate(raw)
    check_against_contracts(catalogue, contracts if contracts is not None else all_contracts())
    return catalogue


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    """The catalogue shipped in the repository, read once per process."""
    return read_catalogue(CATALOGUE_PATH)
