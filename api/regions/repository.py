"""All SQL of the region domain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, literal, or_, select
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import ColumnElement

from api.db.models import CodeVintage, Region, RegionCode, RegionCodeChange
from api.regions.levels import Level


def get(session: Session, code: str) -> Region | None:
    return session.get(Region, code)


def get_by_bps(session: Session, bps_code: str) -> Region | None:
    return session.scalars(select(Region).where(Region.bps_code == bps_code)).one_or_none()


def get_many(session: Session, codes: Sequence[str]) -> list[Region]:
    if not codes:
        return []
    return list(session.scalars(select(Region).where(Region.code.in_(codes))).all())


@dataclass(frozen=True)
class RegionFilter:
    level: Level | None = None
    parent_code: str | None = None
    tsquery: str | None = None
    exact_name: str | None = None
    kind_hint: str | None = None
    kind_only: bool = False  # the query was only a kind word ("kota"): match that kind too


def _conditions(flt: RegionFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if flt.level is not None:
        conditions.append(Region.level == flt.level.value)
    if flt.parent_code is not None:
        conditions.append(Region.parent_code == flt.parent_code)
    if flt.tsquery is not None:
        tsquery = func.to_tsquery(cast(literal("simple"), REGCONFIG), cast(flt.tsquery, Text))
        matches: ColumnElement[bool] = Region.search_vector.bool_op("@@")(tsquery)
        if flt.kind_only and flt.kind_hint is not None:
            matches = or_(matches, Region.kind == flt.kind_hint)
        conditions.append(matches)
    return conditions


# What a list shows of a region; selecting only these keeps list answers cheap.
SUMMARY_COLUMNS = (
    Region.code,
    Region.bps_code,
    Region.name,
    Region.level,
    Region.kind,
    Region.parent_code,
)


def list_regions(
    session: Session, flt: RegionFilter, *, limit: int | None, offset: int
) -> tuple[Sequence[Any], int]:
    """One page of region summaries and the total, in one query (the total as a window).

    Searches rank exact names first, then the kind a prefix named, then level and name.
    """
    conditions = _conditions(flt)
    order: list[ColumnElement[Any]] = []
    if flt.exact_name is not None:
        order.append(case((Region.name_search == flt.exact_name, 0), else_=1))
    if flt.kind_hint is not None:
        order.append(case((Region.kind == flt.kind_hint, 0), else_=1))
    if flt.tsquery is not None:
        order += [Region.depth.expression, Region.name_search.expression]
    order.append(Region.code.expression)
    query = (
        select(*SUMMARY_COLUMNS, func.count().over().label("total"))
        .where(*conditions)
        .order_by(*order)
        .limit(limit)
        .offset(offset)
    )
    rows: Sequence[Any] = session.execute(query).all()
    if rows:
        return rows, int(rows[0].total)
    if offset == 0:
        return rows, 0
    # A page past the end has no row to carry the window total.
    total = session.scalar(select(func.count()).select_from(Region).where(*conditions)) or 0
    return rows, total


def codes_at_depth(session: Session, prefix: str, depth: int) -> list[str]:
    """Codes at ``depth`` that start with ``prefix`` (for suggestions near a missing code)."""
    query = select(Region.code).where(Region.code.startswith(prefix), Region.depth == depth)
    return list(session.scalars(query).all())


def bps_codes_like(session: Session, code: str) -> list[str]:
    """BPS codes of the same length and province as ``code``."""
    query = select(Region.bps_code).where(
        Region.bps_code.startswith(code[:2]), func.length(Region.bps_code) == len(code)
    )
    return [c for c in session.scalars(query).all() if c is not None]


def vintages_of(session: Session, code: str) -> Sequence[tuple[RegionCode, CodeVintage]]:
    query = (
        select(RegionCode, CodeVintage)
        .join(CodeVintage, CodeVintage.vintage == RegionCode.vintage)
        .where(RegionCode.code == code)
        .order_by(RegionCode.vintage)
    )
    return [(rc, cv) for rc, cv in session.execute(query).all()]


def current_vintage(session: Session) -> int | None:
    return session.scalar(select(func.max(CodeVintage.vintage)))


def code_changes(
    session: Session, code: str, *, direction: str
) -> Sequence[tuple[RegionCodeChange, str | None, str | None]]:
    """Non-trivial crosswalk rows from (``direction='from'``) or into (``'to'``) ``code``,
    with the names of both ends in their own vintages."""
    old = aliased(RegionCode)
    new = aliased(RegionCode)
    anchor = RegionCodeChange.from_code if direction == "from" else RegionCodeChange.to_code
    query = (
        select(RegionCodeChange, old.name, new.name)
        .join(
            old,
            and_(
                old.vintage == RegionCodeChange.from_vintage,
                old.code == RegionCodeChange.from_code,
            ),
        )
        .outerjoin(
            new,
            and_(new.vintage == RegionCodeChange.to_vintage, new.code == RegionCodeChange.to_code),
        )
        .where(anchor == code, RegionCodeChange.kind != "same")
        .order_by(
            RegionCodeChange.from_vintage,
            RegionCodeChange.to_vintage,
            RegionCodeChange.from_code,
            RegionCodeChange.to_code,
        )
    )
    return [(row, old_name, new_name) for row, old_name, new_name in session.execute(query).all()]
