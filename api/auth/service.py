"""Key life cycle and caller authentication."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from api.auth import keys, repository
from api.auth.roles import ANONYMOUS, Principal, Role
from api.db.models import ApiKey
from api.errors import InvalidParameterError, NotFoundError, UnauthorizedError
from api.regions import service as regions

SCOPE_LEVELS = ("province", "regency")
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    token: str


def create_key(
    session: Session, *, name: str, role: Role, region: str | None, created_by: str
) -> CreatedKey:
    """Create a key; the returned token is the only time the secret exists in clear."""
    name = name.strip()
    if not name:
        raise InvalidParameterError("A key needs a name.", parameter="name")
    region_code = _scope_code(session, role, region)
    new = keys.generate_key()
    row = repository.add_key(
        session,
        ApiKey(
            key_id=new.key_id,
            secret_hash=keys.hash_secret(new.secret),
            name=name,
            role=role.value,
            region_code=region_code,
            created_by=created_by,
        ),
    )
    repository.record_event(
        session,
        actor=created_by,
        action="key.create",
        target=f"key:{new.key_id}",
        details={"role": role.value, "region_code": region_code, "name": name},
    )
    return CreatedKey(key=row, token=new.token)


def _scope_code(session: Session, role: Role, region: str | None) -> str | None:
    if role is not Role.regional:
        if region:
            raise InvalidParameterError(
                "Only regional keys have a region scope.", parameter="region"
            )
        return None
    if not region:
        raise InvalidParameterError(
            "A regional key needs a region scope (a province or kab/kota code).",
            parameter="region",
        )
    found = regions.resolve(session, region)
    if found.level not in SCOPE_LEVELS:
        raise InvalidParameterError(
            f"Region scope must be a province or kab/kota; {found.code} is a {found.level}.",
            parameter="region",
        )
    return found.code


def list_keys(
    session: Session, *, include_revoked: bool, limit: int, offset: int
) -> tuple[Sequence[ApiKey], int]:
    return repository.list_keys(
        session, include_revoked=include_revoked, limit=limit, offset=offset
    )


def revoke_key(session: Session, key_id: str, *, actor: str) -> ApiKey:
    key = repository.get_by_key_id(session, key_id)
    if key is None:
        raise NotFoundError(f"No API key with id '{key_id}'.", key_id=key_id)
    if key.revoked_at is None:
        repository.revoke(session, key)
        repository.record_event(
            session, actor=actor, action="key.revoke", target=f"key:{key_id}", details={}
        )
    return key


class _VerifiedSecrets:
    """Remembers (key id, secret digest, stored hash) triples already checked with argon2.

    Argon2 is deliberately slow; the key row is still read on every request, so revocation
    and role changes apply at once, only the hash check is skipped for a known secret.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._seen: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()
        self._max = max_entries

    def check(self, key: ApiKey, secret: str) -> bool:
        entry = (key.key_id, hashlib.sha256(secret.encode()).hexdigest(), key.secret_hash)
        with self._lock:
            if entry in self._seen:
                return True
        if not keys.verify_secret(key.secret_hash, secret):
            return False
        with self._lock:
            if len(self._seen) >= self._max:
                self._seen.clear()
            self._seen.add(entry)
        return True


_verified = _VerifiedSecrets()


def authenticate(session: Session, token: str | None) -> Principal:
    """The caller for ``token``; anonymous when no token is given."""
    if not token:
        return ANONYMOUS
    parsed = keys.parse_token(token)
    if parsed is None:
        raise UnauthorizedError("The API key is malformed.")
    key_id, secret = parsed
    key = repository.get_by_key_id(session, key_id)
    if key is None or not _verified.check(key, secret):
        raise UnauthorizedError("Unknown API key.")
    if key.revoked_at is not None:
        raise UnauthorizedError("This API key has been revoked.", key_id=key_id)
    now = datetime.now(UTC)
    if key.last_used_at is None or now - key.last_used_at > _TOUCH_EVERY:
        repository.touch(session, key.id)
    return Principal(
        role=Role(key.role), key_id=key.key_id, name=key.name, region_code=key.region_code
    )
