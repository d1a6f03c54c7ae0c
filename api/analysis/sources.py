"""The survey data an answer is computed from: releases read once and kept prepared.

Reading a full Susenas release from Postgres and checking it costs most of a cold answer,
so the prepared sample is kept per release (a few at a time); answers are kept per query.
Both are keyed by release ids: a new or re-activated release gives new keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl
from sqlalchemy.orm import Session

from api.analysis.memo import Memo
from api.db.models import DatasetRelease
from api.errors import InvalidParameterError
from api.ingest.contracts import ColumnType, all_contracts
from api.ingest.schemas import ReleaseInfo
from api.measures import Sample, prepare_sample
from api.measures.domains import DERIVED_BREAKDOWNS
from api.warehouse.frames import read_release
from api.warehouse.releases import missing, resolve_releases

HOUSEHOLDS, PERSONS, LINES = "susenas_household", "susenas_person", "poverty_line"


class Need(StrEnum):
    """What a computation needs of the households: poverty lines or only expenditure."""

    poverty = "poverty"
    indicators = "indicators"


@dataclass(frozen=True)
class Survey:
    sample: Sample
    persons: pl.DataFrame | None
    release_ids: tuple[int, ...]  # the releases actually read


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
) -> tuple[SourceIds, dict[int, ReleaseInfo]]:
    """The releases an answer uses (those asked for, or the active ones), found in one query,
    and what they are now."""
    if with_persons and release is not None and persons_release is None:
        # Household ids repeat from one survey year to the next: never pair an earlier
        # household release with whatever person release happens to be active.
        raise InvalidParameterError(
            "A person indicator on an earlier household release needs its person release "
            "too: give person_release.",
            parameter="person_release",
        )
    wanted = {HOUSEHOLDS: release}
    if need is Need.poverty:
        wanted[LINES] = lines_release
    if with_persons:
        wanted[PERSONS] = persons_release
    found = resolve_releases(session, wanted)
    for contract, row in found.items():
        # Without a poverty_line release the households must carry their own lines.
        optional = contract == LINES and lines_release is None
        if row is None and not optional:
            raise missing(contract, wanted[contract])
    households = found[HOUSEHOLDS]
    assert households is not None  # checked above
    ids = SourceIds(households.id, _id(found.get(LINES)), _id(found.get(PERSONS)))
    infos = {r.id: ReleaseInfo.model_validate(r) for r in found.values() if r is not None}
    return ids, infos


def _id(release: DatasetRelease | None) -> int | None:
    return release.id if release is not None else None


def survey(session: Session, need: Need, ids: SourceIds) -> Survey:
    return _samples.get((need, ids), lambda: _read(session, need, ids))


def _read(session: Session, need: Need, ids: SourceIds) -> Survey:
    conn = session.connection()
    households = read_release(conn, all_contracts()[HOUSEHOLDS], ids.households)
    used = [ids.households]
    lines = None
    own_lines = households.get_column("poverty_line").null_count() == 0
    if need is Need.poverty and ids.lines is not None and not own_lines:
        lines = read_release(conn, all_contracts()[LINES], ids.lines)
        used.append(ids.lines)
    sample = prepare_sample(
        households, welfare=True, poverty_line=need is Need.poverty, poverty_lines=lines
    )
    persons = None
    if ids.persons is not None:
        persons = read_release(conn, all_contracts()[PERSONS], ids.persons)
        used.append(ids.persons)
    return Survey(sample, persons, tuple(used))


def _breakdown_columns() -> frozenset[str]:
    """Household columns with a short list of values: coded or yes/no items."""
    contract = all_contracts()[HOUSEHOLDS]
    return frozenset(
        c.name
        for c in contract.columns
        if (c.codes is not None or c.type is ColumnType.boolean) and c.name not in DESIGN
    )


DESIGN = frozenset({"prov_code", "kab_code", "strata", "psu"})
BREAKDOWNS = sorted(_breakdown_columns() | DERIVED_BREAKDOWNS)


# Only coded characteristics cut an answer: a cell per household value (floor area,
# expenditure) would publish single households' records, which Susenas keeps confidential.
# An enum, so the OpenAPI document lists the choices and a wrong one is a 422 naming them.
Breakdown = StrEnum("Breakdown", {name: name for name in sorted(BREAKDOWNS)})  # type: ignore[misc]
