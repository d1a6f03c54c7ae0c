"""The survey data an answer is computed from: releases read once and kept prepared.

Reading a full Susenas release from Postgres and checking it costs most of a cold answer,
so the prepared sample is kept per release (a few at a time); answers are kept per query.
Both are keyed by release ids: a new or re-activated release gives new keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from api.analysis.memo import Memo
from api.db.models import DatasetRelease
from api.ingest.contracts import all_contracts
from api.ingest.schemas import ReleaseInfo
from api.measures import Sample, prepare_sample
from api.warehouse.frames import read_release
from api.warehouse.releases import NoReleaseError, resolve_release

HOUSEHOLDS, PERSONS, LINES = "susenas_household", "susenas_person", "poverty_line"


class Need(StrEnum):
    """What a computation needs of the households: poverty lines or only expenditure."""

    poverty = "poverty"
    indicators = "indicators"


@dataclass(frozen=True)
class Survey:
    sample: Sample
    persons: pl.DataFrame | None
    releases: list[ReleaseInfo]


@dataclass(frozen=True)
class SourceIds:
    households: int
    lines: int | None
    persons: int | None


_samples: Memo[Survey] = Memo(size=4)


def source_ids(
    session: Session,
    need: Need,
    release: int | None,
    lines_release: int | None = None,
    persons_release: int | None = None,
    *,
    with_persons: bool = False,
) -> SourceIds:
    """The releases an answer uses: those asked for, or the active ones."""
    households = resolve_release(session, HOUSEHOLDS, release).id
    lines = None
    if need is Need.poverty:
        try:
            lines = resolve_release(session, LINES, lines_release).id
        except NoReleaseError:
            if lines_release is not None:
                raise
            # Without a poverty_line release the households must carry their own lines.
    persons = resolve_release(session, PERSONS, persons_release).id if with_persons else None
    return SourceIds(households, lines, persons)


def survey(session: Session, need: Need, ids: SourceIds) -> Survey:
    return _samples.get((need, ids), lambda: _read(session, need, ids))


def _read(session: Session, need: Need, ids: SourceIds) -> Survey:
    conn = session.connection()
    households = _all_columns(conn, HOUSEHOLDS, ids.households)
    used = [ids.households]
    lines = None
    own_lines = households.get_column("poverty_line").null_count() == 0
    if need is Need.poverty and ids.lines is not None and not own_lines:
        lines = _all_columns(conn, LINES, ids.lines)
        used.append(ids.lines)
    sample = prepare_sample(
        households, welfare=True, poverty_line=need is Need.poverty, poverty_lines=lines
    )
    persons = None
    if ids.persons is not None:
        persons = _all_columns(conn, PERSONS, ids.persons)
        used.append(ids.persons)
    return Survey(sample, persons, [_info(session, i) for i in used])


def _all_columns(conn: Connection, contract: str, release_id: int) -> pl.DataFrame:
    found = all_contracts()[contract]
    return read_release(conn, found, release_id, [c.name for c in found.columns])


def _info(session: Session, release_id: int) -> ReleaseInfo:
    return ReleaseInfo.model_validate(session.get_one(DatasetRelease, release_id))
