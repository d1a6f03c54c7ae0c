"""Data contracts: declarative YAML files in ``data_contracts/``, read into typed models.

A contract says what one row of a dataset is, which columns it has (type, unit, range, code
list, personal or not, the names source files use), which keys are unique, which region codes
it carries and which other dataset it refers to. Data stewards edit the YAML; the validator
and the warehouse tables are derived from it.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.regions.codes import CodeSystem
from api.regions.levels import Level
from api.settings import REPO_ROOT

CONTRACTS_DIR = REPO_ROOT / "data_contracts"
NAME_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"


class Text(BaseModel):
    """A text in Indonesian and English."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ColumnType(StrEnum):
    string = "string"
    integer = "integer"
    float = "float"
    boolean = "boolean"
    date = "date"


class RegionRef(BaseModel):
    """The column holds region codes of one system (and level); each must exist."""

    model_config = ConfigDict(extra="forbid")

    system: CodeSystem
    level: Level | None = Field(
        default=None, description="The level every code must be at; omitted: any level."
    )


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    type: ColumnType
    required: bool = True
    description: Text
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    codes: dict[str, str] | None = Field(
        default=None, description="Allowed values and their labels (Indonesian)."
    )
    pattern: str | None = Field(default=None, description="Regex every value must match.")
    personal: bool = Field(default=False, description="Names, NIK, addresses, birth dates...")
    region: RegionRef | None = None
    source_names: list[str] = Field(
        default_factory=list, description="Names source files use for this column."
    )

    @model_validator(mode="after")
    def _checks_fit_type(self) -> Column:
        numeric = self.type in (ColumnType.integer, ColumnType.float)
        if (self.min is not None or self.max is not None) and not numeric:
            raise ValueError(f"column {self.name}: min/max need a numeric type")
        if self.pattern is not None and self.type is not ColumnType.string:
            raise ValueError(f"column {self.name}: pattern needs type string")
        if self.region is not None and self.type is not ColumnType.string:
            raise ValueError(f"column {self.name}: region codes are strings")
        return self

    @property
    def integer_codes(self) -> list[int] | None:
        """An integer column's code list as numbers, when each code is an integer's own
        spelling ("1", not "01"); None otherwise."""
        if self.type is not ColumnType.integer or self.codes is None:
            return None
        codes = list(self.codes)
        try:
            numbers = [int(c) for c in codes]
        except ValueError:
            return None
        return numbers if [str(n) for n in numbers] == codes else None

    @property
    def integer_bounds(self) -> tuple[float, float] | None:
        """The least and greatest value an integer column's rules allow, when its code list
        or its min and max bound it on both sides."""
        codes = self.integer_codes
        if codes:
            return min(codes), max(codes)
        if self.type is ColumnType.integer and self.min is not None and self.max is not None:
            return self.min, self.max
        return None


class Reference(BaseModel):
    """Rows must point at existing rows of another dataset (in its active release)."""

    model_config = ConfigDict(extra="forbid")

    columns: list[str] = Field(min_length=1)
    dataset: str = Field(pattern=NAME_PATTERN)
    dataset_columns: list[str] = Field(min_length=1)


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    version: int = Field(ge=1, description="Bumped when columns or rules change.")
    title: Text
    description: Text
    row: Text = Field(description="What one row is (a household, a person, a budget line...).")
    source: str = Field(description="Who publishes the data (BPS, Kemensos, Kemenkeu, ...).")
    personal: bool = Field(default=False, description="Holds personal data (see columns).")
    primary_key: list[str] = Field(min_length=1)
    unique: list[list[str]] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    columns: list[Column] = Field(min_length=1)

    @model_validator(mode="after")
    def _names_exist(self) -> Contract:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"contract {self.name}: duplicate column names")
        known = set(names)
        for key in [self.primary_key, *self.unique, *(r.columns for r in self.references)]:
            missing = [k for k in key if k not in known]
            if missing:
                raise ValueError(f"contract {self.name}: unknown key column(s) {missing}")
        for ref in self.references:
            if len(ref.columns) != len(ref.dataset_columns):
                raise ValueError(f"contract {self.name}: reference column counts differ")
        sources: dict[str, str] = {}
        for col in self.columns:
            for alias in [col.name, *col.source_names]:
                if sources.setdefault(alias.lower(), col.name) != col.name:
                    raise ValueError(f"contract {self.name}: source name {alias} used twice")
        return self

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        """The columns in contract order: the order of a contract file and its table."""
        return [c.name for c in self.columns]

    @property
    def table(self) -> str:
        """The warehouse table holding every release of this dataset."""
        return f"ds_{self.name}"


def read_contract(path: Path) -> Contract:
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    contract = Contract.model_validate(raw)
    if contract.name != path.stem:
        raise ValueError(f"{path.name}: contract name {contract.name} differs from file name")
    return contract


@lru_cache(maxsize=1)
def all_contracts() -> dict[str, Contract]:
    contracts = {
        c.name: c for c in (read_contract(p) for p in sorted(CONTRACTS_DIR.glob("*.yaml")))
    }
    for contract in contracts.values():
        for ref in contract.references:
            if ref.dataset not in contracts:
                raise ValueError(f"{contract.name} refers to unknown dataset {ref.dataset}")
    return contracts
