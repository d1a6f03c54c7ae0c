"""Response models of the region endpoints."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import PageMeta
from api.regions.levels import Level


class RegionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Kemendagri code (dotted), e.g. `33.26`.", examples=["33.26"])
    bps_code: str | None = Field(
        description="BPS code (bare digits) where known: provinces, kab/kota and most "
        "kecamatan; null for desa.",
        examples=["3326"],
    )
    name: str = Field(examples=["Kabupaten Pekalongan"])
    level: Level
    kind: str | None = Field(
        description="kabupaten/kota for regencies, kecamatan/distrik for districts, "
        "desa/kelurahan for villages."
    )
    parent_code: str | None


class Population(BaseModel):
    total: int
    male: int | None
    female: int | None
    year: int = Field(description="Reference year of the figure.")
    source: str


class ChildCounts(BaseModel):
    children: int = Field(description="Direct children.")
    regencies: int
    districts: int
    villages: int


class RegionDetail(RegionSummary):
    ancestors: list[RegionSummary] = Field(description="From the nation down to the parent.")
    child_counts: ChildCounts
    population: Population | None
    area_km2: float | None


class RegionPage(PageMeta):
    items: list[RegionSummary]


class VintageName(BaseModel):
    vintage: int = Field(description="Edition of the Kemendagri code list.")
    valid_from: date
    valid_to: date | None = Field(description="Null for the list in force.")
    name: str
    level: Level


class CodeChange(BaseModel):
    from_vintage: int
    from_code: str
    from_name: str
    to_vintage: int
    to_code: str | None = Field(description="Null when no successor was found.")
    to_name: str | None
    level: Level
    share: float | None = Field(description="Fraction of the old region's villages that moved.")
    kind: str = Field(description="recoded, split or ended.")


class RegionHistory(BaseModel):
    code: str = Field(description="The Kemendagri code asked about.")
    current: RegionSummary | None = Field(description="The region holding this code now.")
    vintages: list[VintageName] = Field(description="Each list edition in which the code stood.")
    successors: list[CodeChange] = Field(
        description="Where the code went: splits, re-codings and ends, per later edition."
    )
    predecessors: list[CodeChange] = Field(
        description="Earlier codes whose area went (wholly or partly) into this code."
    )
