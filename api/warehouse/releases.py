"""Which release of a dataset an analysis uses: the one asked for, or the active one."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.db.models import DatasetRelease
from api.errors import NotFoundError


class NoReleaseError(NotFoundError):
    code = "release_not_found"


def resolve_release(session: Session, contract: str, release_id: int | None) -> DatasetRelease:
    """The release ``release_id`` of ``contract``, or its active release when None.

    Superseded releases stay readable: an analysis can be reproduced on the data it used.
    """
    found = resolve_releases(session, {contract: release_id})[contract]
    if found is None:
        raise missing(contract, release_id)
    return found


def resolve_releases(
    session: Session, wanted: Mapping[str, int | None]
) -> dict[str, DatasetRelease | None]:
    """Several datasets' releases (asked for, or active) in one query; None where missing."""
    asked = {contract: i for contract, i in wanted.items() if i is not None}
    active = [contract for contract, i in wanted.items() if i is None]
    rows = session.scalars(
        select(DatasetRelease).where(
            DatasetRelease.contract.in_(list(wanted)),
            or_(
                DatasetRelease.id.in_(list(asked.values())),
                DatasetRelease.contract.in_(active) & (DatasetRelease.status == "active"),
            ),
        )
    ).all()
    found: dict[str, DatasetRelease | None] = dict.fromkeys(wanted)
    for row in rows:
        if asked.get(row.contract, row.id) == row.id:
            found[row.contract] = row
    return found


def missing(contract: str, release_id: int | None) -> NoReleaseError:
    """The 404 for a release that is not there."""
    if release_id is None:
        return NoReleaseError(
            f"{contract} has no active release; load one with `sepakat ingest {contract} FILE` "
            f"or POST /api/v1/datasets/{contract}/releases.",
            contract=contract,
        )
    return NoReleaseError(
        f"{contract} has no release {release_id}; GET /api/v1/datasets/{contract}/releases "
        "lists them.",
        contract=contract,
        parameter="release",
        value=release_id,
    )
