"""All SQL of keys and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.db.models import ApiKey, AuditEvent


def get_by_key_id(session: Session, key_id: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.key_id == key_id)).one_or_none()


def list_keys(
    session: Session, *, include_revoked: bool, limit: int, offset: int
) -> tuple[Sequence[ApiKey], int]:
    query = select(ApiKey)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(ApiKey.id).limit(limit).offset(offset)).all()
    return rows, total


def add_key(session: Session, key: ApiKey) -> ApiKey:
    session.add(key)
    session.flush()
    return key


def revoke(session: Session, key: ApiKey) -> None:
    key.revoked_at = datetime.now(UTC)
    session.flush()


def touch(session: Session, key_pk: int) -> None:
    session.execute(update(ApiKey).where(ApiKey.id == key_pk).values(last_used_at=func.now()))


def record_event(
    session: Session, *, actor: str, action: str, target: str | None, details: dict[str, Any]
) -> None:
    session.add(AuditEvent(actor=actor, action=action, target=target, details=details))
    session.flush()
