"""Offset pagination shared by every list endpoint: ``limit``, ``offset`` and ``total``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, Field

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PageParams:
    limit: int
    offset: int


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Rows per page (at most 1000).")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


class PageMeta(BaseModel):
    total: int = Field(description="Rows matching the filters, over all pages.")
    limit: int
    offset: int


@dataclass(frozen=True)
class TablePageParams:
    """Paging for endpoints that also serve files: a JSON page has 50 rows unless ``limit``
    says otherwise; a file carries every matching row unless ``limit`` says otherwise."""

    limit: int | None
    offset: int


def table_page_params(
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description="Rows per page, at most 1000. Default: 50 for JSON, all rows for files.",
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")] = 0,
) -> TablePageParams:
    return TablePageParams(limit=limit, offset=offset)
