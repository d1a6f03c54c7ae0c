"""Key material: generation, parsing and argon2 hashing of the secret part.

A key reads ``sepakat_<key_id>_<secret>``. The key id is public (it finds the row and is
what logs and listings show); only an argon2id hash of the secret is stored.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PREFIX = "sepakat"
_KEY_RE = re.compile(r"^sepakat_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")

# The secret has 256 random bits, so argon2 here guards a stolen table, not a weak password;
# lighter parameters than for passwords keep a cold verification near 10 ms.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        return f"{PREFIX}_{self.key_id}_{self.secret}"


def generate_key() -> NewKey:
    return NewKey(key_id=secrets.token_hex(6), secret=secrets.token_urlsafe(32))


def parse_token(token: str) -> tuple[str, str] | None:
    """Split a presented token into (key id, secret), or None when it is not a key."""
    match = _KEY_RE.match(token.strip())
    return (match.group(1), match.group(2)) if match else None


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(secret_hash: str, secret: str) -> bool:
    try:
        return _HASHER.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False
