"""Regions of an answer: which ones to compute, and their Kemendagri codes and names.

Susenas is keyed by BPS codes; the API speaks both systems and answers with the Kemendagri
code, the BPS code and the name of every region.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.analysis.memo import Memo
from api.db.models import Region
from api.errors import InvalidParameterError
from api.regions import service
from api.regions.codes import NATIONAL_CODE, CodeSystem
from api.regions.levels import DEPTH, Level


class MeasureLevel(StrEnum):
    """The levels Susenas is representative for."""

    national = "national"
    province = "province"
    regency = "regency"


# Region lists change only with a reference load, which happens when the server starts.
_scopes: Memo[tuple[str, ...] | None] = Memo(size=1024)


def scope(
    session: Session,
    level: MeasureLevel,
    parent: str | None,
    regions: Sequence[str],
    system: CodeSystem | None,
) -> tuple[str, ...] | None:
    """BPS codes of the regions to compute at ``level``; None for all of them."""
    key = (level, parent, tuple(regions), system)
    return _scopes.get(key, lambda: _scope(session, level, parent, regions, system))


def _scope(
    session: Session,
    level: MeasureLevel,
    parent: str | None,
    regions: Sequence[str],
    system: CodeSystem | None,
) -> tuple[str, ...] | None:
    if level is MeasureLevel.national:
        if parent or regions:
            raise InvalidParameterError(
                "level=national has a single region; drop parent and region.", parameter="level"
            )
        return None
    if parent and regions:
        raise InvalidParameterError(
            "Give either parent (every region under it) or region (a list), not both.",
            parameter="region",
        )
    wanted = Level(level.value)
    codes: list[str] = []
    if parent is not None:
        above = service.resolve(session, parent, system)
        if DEPTH[Level(above.level)] >= DEPTH[wanted]:
            raise InvalidParameterError(
                f"parent {above.code} ({above.name}) is a {above.level}: it has no "
                f"{wanted.value} under it.",
                parameter="parent",
            )
        query = select(Region.bps_code).where(Region.level == wanted.value)
        if above.code != NATIONAL_CODE:
            query = query.where(Region.code.startswith(f"{above.code}."))
        codes += [c for c in session.scalars(query) if c is not None]
    for raw in regions:
        region = service.resolve(session, raw, system)
        if region.level != wanted.value or region.bps_code is None:
            raise InvalidParameterError(
                f"region {raw} is {region.name}, a {region.level}; the answer is for "
                f"level={wanted.value}.",
                parameter="region",
            )
        codes.append(region.bps_code)
    return tuple(sorted(set(codes))) if parent is not None or regions else None


def label(session: Session, frame: pl.DataFrame) -> pl.DataFrame:
    """Replace the engine's BPS ``region_code`` with the Kemendagri code, BPS code and name."""
    bps = frame.get_column("region_code").unique().to_list()
    rows = session.execute(
        select(Region.bps_code, Region.code, Region.name).where(
            Region.bps_code.in_([c for c in bps if c != NATIONAL_CODE]),
            Region.level.in_([Level.province.value, Level.regency.value]),
        )
    ).all()
    national = session.get_one(Region, NATIONAL_CODE)
    names = pl.DataFrame(
        [(NATIONAL_CODE, national.code, national.name), *(tuple(r) for r in rows)],
        schema={"bps_code": pl.String, "code": pl.String, "region_name": pl.String},
        orient="row",
    )
    labelled = frame.rename({"region_code": "bps_code"}).join(
        names, on="bps_code", how="left", maintain_order="left"
    )
    return labelled.rename({"code": "region_code"})
