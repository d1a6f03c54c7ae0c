"""API keys over HTTP: roles, region scope, revocation, hashing, and keys kept out of logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import service
from api.auth.roles import Role
from api.db.models import ApiKey, AuditEvent


def _key(session: Session, role: Role, region: str | None = None) -> str:
    created = service.create_key(
        session, name=f"test {role}", role=role, region=region, created_by="test"
    )
    session.flush()
    return created.token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_anonymous_caller_is_public(client: httpx.Client) -> None:
    body = client.get("/me").json()
    assert body["authenticated"] is False
    assert body["role"] == "public"
    assert body["permissions"] == ["read_aggregates"]


def test_regional_key_reports_its_scope(client: httpx.Client, session: Session) -> None:
    token = _key(session, Role.regional, region="3326")  # BPS code resolves to 33.26
    body = client.get("/me", headers=_auth(token)).json()
    assert body["role"] == "regional"
    assert body["region_scope"] == "33.26"
    assert body["region_scope_name"] == "Kabupaten Pekalongan"
    assert "read_personal_data" in body["permissions"]
    assert client.get("/me", headers={"X-API-Key": token}).json()["key_id"] == body["key_id"]


def test_keys_are_stored_as_argon2_hashes(session: Session) -> None:
    token = _key(session, Role.analyst)
    stored = session.scalars(select(ApiKey)).all()[-1]
    assert stored.secret_hash.startswith("$argon2id$")
    assert token.split("_", 2)[2] not in stored.secret_hash
    assert token not in stored.secret_hash


@pytest.mark.parametrize(
    ("role", "region", "message"),
    [
        (Role.regional, None, "needs a region scope"),
        (Role.analyst, "33", "Only regional keys"),
        (Role.regional, "33.26.01", "province or kab/kota"),
    ],
)
def test_scope_rules(session: Session, role: Role, region: str | None, message: str) -> None:
    from api.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=message):
        service.create_key(session, name="x", role=role, region=region, created_by="test")


def test_admin_manages_keys_and_revocation_is_immediate(
    client: httpx.Client, session: Session
) -> None:
    admin = _auth(_key(session, Role.admin))
    response = client.post(
        "/keys",
        headers=admin,
        json={"name": "SIPD Jawa Tengah", "role": "regional", "region": "33"},
    )
    assert response.status_code == 201
    created = response.json()
    token = created["token"]
    assert client.get("/me", headers=_auth(token)).json()["region_scope"] == "33"

    listed = client.get("/keys", headers=admin).json()
    assert created["key_id"] in {k["key_id"] for k in listed["items"]}
    assert all("token" not in k and "secret_hash" not in k for k in listed["items"])

    assert client.delete(f"/keys/{created['key_id']}", headers=admin).status_code == 200
    revoked = client.get("/me", headers=_auth(token))
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "unauthorized"
    assert "revoked" in revoked.json()["message"]
    actions = session.scalars(select(AuditEvent.action)).all()
    assert {"key.create", "key.revoke"} <= set(actions)


@pytest.mark.parametrize("role", [Role.analyst, Role.regional, Role.public])
def test_only_admins_manage_keys(client: httpx.Client, session: Session, role: Role) -> None:
    token = _key(session, role, region="33" if role is Role.regional else None)
    response = client.get("/keys", headers=_auth(token))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_anonymous_cannot_manage_keys(client: httpx.Client) -> None:
    assert client.post("/keys", json={"name": "x", "role": "admin"}).status_code == 403


@pytest.mark.parametrize(
    "token", ["nonsense", "sepakat_000000000000_" + "a" * 43, "Bearer", "sepakat__"]
)
def test_bad_keys_are_401(client: httpx.Client, token: str) -> None:
    response = client.get("/me", headers={"X-API-Key": token})
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "details"}


def test_wrong_secret_for_a_real_key_id_is_401(client: httpx.Client, session: Session) -> None:
    token = _key(session, Role.analyst)
    forged = token[:-43] + ("A" if token[-43] != "A" else "B") + token[-42:]
    assert client.get("/me", headers=_auth(forged)).status_code == 401


def test_keys_never_appear_in_logs(
    client: httpx.Client, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    token = _key(session, Role.admin)
    with caplog.at_level(logging.DEBUG):
        client.get("/me", headers=_auth(token))
        client.post("/keys", headers=_auth(token), json={"name": "x", "role": "analyst"})
        client.get("/me", headers=_auth(token + "x"))
    secret = token.split("_", 2)[2]
    assert caplog.records, "expected the server to log requests"
    assert all(secret not in r.getMessage() for r in caplog.records)
