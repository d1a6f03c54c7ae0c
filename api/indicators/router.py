"""/indicator-values: the values of the active ``indicator_values`` release, each marked with
its origin (published, synthetic or regional) and its source."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.db.models import Region
from api.db.session import SessionDep
from api.errors import error_responses
from api.ingest.contracts import all_contracts
from api.ingest.schemas import ReleaseInfo
from api.pagination import DEFAULT_LIMIT, PageMeta, TablePageParams, table_page_params
from api.regions import service
from api.regions.codes import CODE_PATTERN, CodeSystem
from api.tabular import TableFormat, download_responses, file_response
from api.warehouse.frames import read_release
from api.warehouse.releases import resolve_release

router = APIRouter(prefix="/indicator-values", tags=["indicators"])
CONTRACT = "indicator_values"


class Origin(StrEnum):
    published = "published"
    synthetic = "synthetic"
    regional = "regional"


class IndicatorValue(BaseModel):
    indicator_code: str
    region_code: str = Field(description="Kemendagri code (`00`: Indonesia).")
    region_name: str | None
    year: int
    breakdown: str
    value: float | None
    unit: str | None
    origin: Origin = Field(
        description="published: an official figure copied as published; synthetic: made up "
        "for the demo; regional: entered by a region."
    )
    source: str | None = Field(description="Citation of the figure.")
    formula: str | None
    review_status: str | None = Field(
        description="A suspect published value stays as published, marked for review with a note."
    )
    review_note: str | None


class IndicatorValuePage(PageMeta):
    release: ReleaseInfo
    items: list[IndicatorValue]


FIELDS = list(IndicatorValue.model_fields)


@router.get(
    "",
    response_model=IndicatorValuePage,
    summary="Indicator values with their origin and source",
    responses={**error_responses(404, 422), **download_responses("The values as a file.")},
)
def list_values(
    session: SessionDep,
    page: Annotated[TablePageParams, Depends(table_page_params)],
    indicator: Annotated[
        str | None, Query(max_length=63, description="Only this indicator code.")
    ] = None,
    region: Annotated[
        str | None, Query(pattern=CODE_PATTERN, description="Only this region (any system).")
    ] = None,
    system: Annotated[
        CodeSystem,
        Query(
            description="How to read bare digits in region: Kemendagri (the default here, as "
            "the values are keyed by Kemendagri codes: `92` is Papua Barat) or BPS."
        ),
    ] = CodeSystem.kemendagri,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="Only this year.")] = None,
    origin: Annotated[Origin | None, Query(description="Only values of this origin.")] = None,
    release: Annotated[
        int | None,
        Query(ge=1, le=2**63 - 1, description="indicator_values release; the active one."),
    ] = None,
    format: Annotated[
        TableFormat, Query(description="json, or a csv/xlsx/parquet file.")
    ] = TableFormat.json,
) -> IndicatorValuePage | Response:
    found = resolve_release(session, CONTRACT, release)
    contract = all_contracts()[CONTRACT]
    frame = read_release(session.connection(), contract, found.id).with_columns(
        pl.col("origin").fill_null(Origin.regional.value)  # the contract: empty is regional
    )
    if indicator is not None:
        frame = frame.filter(pl.col("indicator_code") == indicator)
    if region is not None:
        code = service.resolve(session, region, system).code
        frame = frame.filter(pl.col("region_code") == code)
    if year is not None:
        frame = frame.filter(pl.col("year") == year)
    if origin is not None:
        frame = frame.filter(pl.col("origin") == origin.value)
    frame = frame.sort("indicator_code", "region_code", "year", "breakdown")
    total = frame.height
    limit = page.limit or (DEFAULT_LIMIT if format is TableFormat.json else None)
    frame = frame.slice(page.offset, limit)
    frame = _with_names(session, frame).select(FIELDS)
    if format is not TableFormat.json:
        return file_response(frame, format, "indicator_values", total)
    return IndicatorValuePage(
        total=total,
        limit=limit,
        offset=page.offset,
        release=ReleaseInfo.model_validate(found),
        items=[IndicatorValue.model_validate(r) for r in frame.to_dicts()],
    )


def _with_names(session: SessionDep, frame: pl.DataFrame) -> pl.DataFrame:
    codes = frame.get_column("region_code").unique().to_list()
    rows = session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    names = pl.DataFrame(
        [tuple(r) for r in rows],
        schema={"region_code": pl.String, "region_name": pl.String},
        orient="row",
    )
    return frame.join(names, on="region_code", how="left", maintain_order="left")
