"""Request and response models of the key endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.auth.roles import Permission, Role
from api.pagination import PageMeta


class Me(BaseModel):
    authenticated: bool
    role: Role
    key_id: str | None = Field(description="Public id of the key used; null when anonymous.")
    name: str | None
    region_scope: str | None = Field(
        description="Kemendagri code of the region a regional key is limited to."
    )
    region_scope_name: str | None
    permissions: list[Permission]


# A scope is a province or a kab/kota: Kemendagri `33`/`33.26`, or BPS `33`/`3326`.
SCOPE_PATTERN = r"^[1-9]\d(\.\d{2})?$|^[1-9]\d{3}$"
KeyName = Annotated[
    str,
    Field(min_length=1, max_length=200, pattern=r"\S", description="Who or what holds the key."),
]


class GlobalKeyCreate(BaseModel):
    """A key without a region scope."""

    model_config = ConfigDict(extra="forbid")

    name: KeyName
    role: Literal[Role.admin, Role.analyst, Role.public]


class RegionalKeyCreate(BaseModel):
    """A key limited to one province or kab/kota and everything under it."""

    model_config = ConfigDict(extra="forbid")

    name: KeyName
    role: Literal[Role.regional]
    region: str = Field(
        pattern=SCOPE_PATTERN,
        description="Province or kab/kota: Kemendagri `33`/`33.26` or BPS `3326`.",
    )


KeyCreate = Annotated[GlobalKeyCreate | RegionalKeyCreate, Field(discriminator="role")]


class KeyInfo(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key_id: str
    name: str
    role: Role
    region_code: str | None
    created_at: datetime
    created_by: str
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyCreated(KeyInfo):
    token: str = Field(description="The key. Shown this once only; store it safely.")


class KeyPage(PageMeta):
    items: list[KeyInfo]
