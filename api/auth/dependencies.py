"""FastAPI dependencies that resolve the caller and guard routes by permission."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.auth import service
from api.auth.roles import Permission, Principal
from api.db.session import SessionDep
from api.errors import ForbiddenError

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer sepakat_<id>_<secret>`")
_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="The same key in an `X-API-Key` header."
)


# Added to the OpenAPI security of routes where a key is optional (FastAPI lists the key
# schemes itself): the empty requirement says anonymous callers are served too.
OPTIONAL_KEY: dict[str, object] = {"security": [{}]}


def get_principal(
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header_key: Annotated[str | None, Security(_header)],
) -> Principal:
    token = bearer.credentials if bearer is not None else header_key
    return service.authenticate(session, token)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency that lets the call through only with ``permission``."""

    def guard(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise ForbiddenError(
                f"Role '{principal.role}' may not do this (needs '{permission}').",
                permission=permission.value,
                role=principal.role.value,
            )
        return principal

    return guard
