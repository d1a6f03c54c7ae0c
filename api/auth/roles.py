"""Roles, what each may do, and the caller as seen by every route."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    analyst = "analyst"
    regional = "regional"
    public = "public"


class Permission(StrEnum):
    read_aggregates = "read_aggregates"
    read_records = "read_records"
    read_personal_data = "read_personal_data"
    load_data = "load_data"
    manage_keys = "manage_keys"


# Tiers of DOMAIN.md: aggregates are public; records without names for analysts; by-name data
# only for regional users inside their scope (and admins). Later issues check these.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.analyst: frozenset({Permission.read_aggregates, Permission.read_records}),
    Role.regional: frozenset(
        {Permission.read_aggregates, Permission.read_records, Permission.read_personal_data}
    ),
    Role.public: frozenset({Permission.read_aggregates}),
}


def region_in_scope(code: str, scope: str) -> bool:
    """Whether Kemendagri ``code`` is ``scope`` itself or lies under it."""
    return code == scope or code.startswith(scope + ".")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's holder, or the anonymous public."""

    role: Role
    key_id: str | None = None
    name: str | None = None
    region_code: str | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]

    @property
    def actor(self) -> str:
        """How the audit trail names this caller (never the secret)."""
        return f"key:{self.key_id}" if self.key_id else "anonymous"

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def can_access_region(self, code: str) -> bool:
        """Region scope: regional keys reach their region and what lies under it only."""
        if self.role is Role.regional:
            return self.region_code is not None and region_in_scope(code, self.region_code)
        return self.role in (Role.admin, Role.analyst)


ANONYMOUS = Principal(role=Role.public)
