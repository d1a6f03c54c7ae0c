"""HTTP routes of the region domain."""

from __future__ import annotations

from typing import Annotated

import polars as pl
from fastapi import APIRouter, Depends, Path, Query, Response

from api.db.session import SessionDep
from api.errors import error_responses
from api.pagination import DEFAULT_LIMIT, TablePageParams, table_page_params
from api.regions import repository, service
from api.regions.codes import CODE_PATTERN, CodeSystem
from api.regions.levels import Level
from api.regions.schemas import RegionDetail, RegionHistory, RegionPage, RegionSummary
from api.tabular import TableFormat, download_responses, file_response

router = APIRouter(prefix="/regions", tags=["regions"])

CodePath = Annotated[
    str,
    Path(
        pattern=CODE_PATTERN,
        description="Kemendagri code (dotted, `33.26`) or BPS code (bare digits, `3326`).",
    ),
]
SystemQuery = Annotated[
    CodeSystem | None,
    Query(
        description="How to read bare digits: BPS (the default) or undotted Kemendagri. "
        "Dotted codes are always Kemendagri."
    ),
]
FormatQuery = Annotated[TableFormat, Query(description="json, or a csv/xlsx/parquet file.")]
PageDep = Annotated[TablePageParams, Depends(table_page_params)]

_LIST_ERRORS = error_responses(404, 422)


def _page(
    session: SessionDep,
    flt: repository.RegionFilter,
    page: TablePageParams,
    fmt: TableFormat,
    stem: str,
) -> RegionPage | Response:
    limit = page.limit or (DEFAULT_LIMIT if fmt is TableFormat.json else None)
    rows, total = repository.list_regions(session, flt, limit=limit, offset=page.offset)
    items = [RegionSummary.model_validate(r) for r in rows]
    if fmt is TableFormat.json:
        return RegionPage(total=total, limit=limit, offset=page.offset, items=items)
    frame = pl.DataFrame(
        [i.model_dump(mode="json") for i in items],
        schema=dict.fromkeys(RegionSummary.model_fields, pl.String),
    )
    return file_response(frame, fmt, stem, total)


@router.get(
    "",
    response_model=RegionPage,
    summary="List and search regions",
    responses={**_LIST_ERRORS, **download_responses("Regions as a file.")},
)
def list_regions(
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Name search ignoring case, accents and prefixes such as "
            "Kabupaten/Kota; every word matches a word start.",
        ),
    ] = None,
    level: Annotated[Level | None, Query(description="Only this level.")] = None,
    parent: Annotated[
        str | None,
        Query(pattern=CODE_PATTERN, description="Only children of this region (any system)."),
    ] = None,
    system: SystemQuery = None,
    format: FormatQuery = TableFormat.json,
) -> RegionPage | Response:
    parent_code = service.resolve(session, parent, system).code if parent else None
    flt = service.search_filter(q, level, parent_code)
    return _page(session, flt, page, format, "regions")


@router.get(
    "/{code}",
    response_model=RegionDetail,
    summary="One region, by Kemendagri or BPS code",
    responses=error_responses(404, 422),
)
def get_region(session: SessionDep, code: CodePath, system: SystemQuery = None) -> RegionDetail:
    return service.detail(session, service.resolve(session, code, system))


@router.get(
    "/{code}/children",
    response_model=RegionPage,
    summary="The regions directly under a region",
    responses={**_LIST_ERRORS, **download_responses("Children as a file.")},
)
def get_children(
    session: SessionDep,
    code: CodePath,
    page: PageDep,
    system: SystemQuery = None,
    format: FormatQuery = TableFormat.json,
) -> RegionPage | Response:
    region = service.resolve(session, code, system)
    flt = repository.RegionFilter(parent_code=region.code)
    return _page(session, flt, page, format, f"children_{region.code}")


@router.get(
    "/{code}/history",
    response_model=RegionHistory,
    summary="Earlier codes and successors of a code",
    responses=error_responses(404, 422),
)
def get_history(session: SessionDep, code: CodePath, system: SystemQuery = None) -> RegionHistory:
    return service.history(session, code, system)
