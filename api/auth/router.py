"""HTTP routes: who am I, and key management for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.auth import service
from api.auth.dependencies import OPTIONAL_KEY, PrincipalDep, require
from api.auth.roles import Permission, Principal
from api.auth.schemas import KeyCreate, KeyCreated, KeyInfo, KeyPage, Me, RegionalKeyCreate
from api.db.session import SessionDep
from api.errors import error_responses
from api.pagination import PageParams, page_params
from api.regions import repository as regions

router = APIRouter(tags=["access"])

AdminDep = Annotated[Principal, Depends(require(Permission.manage_keys))]
_ADMIN_ERRORS = error_responses(401, 403, 422)


@router.get(
    "/me",
    response_model=Me,
    summary="What the caller's key allows",
    responses=error_responses(401),
    openapi_extra=OPTIONAL_KEY,
)
def me(session: SessionDep, principal: PrincipalDep) -> Me:
    scope = regions.get(session, principal.region_code) if principal.region_code else None
    return Me(
        authenticated=principal.key_id is not None,
        role=principal.role,
        key_id=principal.key_id,
        name=principal.name,
        region_scope=principal.region_code,
        region_scope_name=scope.name if scope else None,
        permissions=sorted(principal.permissions),
    )


@router.post(
    "/keys",
    response_model=KeyCreated,
    status_code=201,
    summary="Create an API key (admin)",
    responses={**_ADMIN_ERRORS, **error_responses(400, 404)},
)
def create_key(session: SessionDep, admin: AdminDep, body: KeyCreate) -> KeyCreated:
    region = body.region if isinstance(body, RegionalKeyCreate) else None
    created = service.create_key(
        session, name=body.name, role=body.role, region=region, created_by=admin.actor
    )
    return KeyCreated(**KeyInfo.model_validate(created.key).model_dump(), token=created.token)


@router.get(
    "/keys", response_model=KeyPage, summary="List API keys (admin)", responses=_ADMIN_ERRORS
)
def list_keys(
    session: SessionDep,
    _: AdminDep,
    page: Annotated[PageParams, Depends(page_params)],
    include_revoked: Annotated[bool, Query(description="Also list revoked keys.")] = False,
) -> KeyPage:
    rows, total = service.list_keys(
        session, include_revoked=include_revoked, limit=page.limit, offset=page.offset
    )
    return KeyPage(
        total=total,
        limit=page.limit,
        offset=page.offset,
        items=[KeyInfo.model_validate(r) for r in rows],
    )


@router.delete(
    "/keys/{key_id}",
    response_model=KeyInfo,
    summary="Revoke an API key (admin)",
    responses={**_ADMIN_ERRORS, **error_responses(404)},
)
def revoke_key(
    session: SessionDep,
    admin: AdminDep,
    key_id: Annotated[str, Path(max_length=16, description="Public id of the key.")],
) -> KeyInfo:
    return KeyInfo.model_validate(service.revoke_key(session, key_id, actor=admin.actor))
