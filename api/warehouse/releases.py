"""Which release of a dataset an analysis uses: the one asked for, or the active one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.models import DatasetRelease
from api.errors import NotFoundError


class NoReleaseError(NotFoundError):
    code = "release_not_found"


def resolve_release(session: Session, contract: str, release_id: int | None) -> DatasetRelease:
    """The release ``release_id`` of ``contract``, or its active release when None.

    Superseded releases stay readable: an analysis can be reproduced on the data it used.
    """
    query = select(DatasetRelease).where(DatasetRelease.contract == contract)
    if release_id is None:
        query = query.where(DatasetRelease.status == "active")
    else:
        query = query.where(DatasetRelease.id == release_id)
    found = session.scalars(query).first()
    if found is not None:
        return found
    if release_id is None:
        raise NoReleaseError(
            f"{contract} has no active release; load one with `sepakat ingest {contract} FILE` "
            f"or POST /api/v1/datasets/{contract}/releases.",
            contract=contract,
        )
    raise NoReleaseError(
        f"{contract} has no release {release_id}; GET /api/v1/datasets/{contract}/releases "
        "lists them.",
        contract=contract,
        parameter="release",
        value=release_id,
    )
