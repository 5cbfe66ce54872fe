"""Bearer tokens with scopes: read < write < admin (a wider scope includes the narrower)."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from service.store.tokens import TokenStore

TOKEN_FILE = "admin-token"


class Scope(IntEnum):
    READ = 1
    WRITE = 2
    ADMIN = 3

    @classmethod
    def parse(cls, text: str) -> Scope:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown scope {text!r}; use read, write or admin") from None


def new_token() -> str:
    return "trk_" + secrets.token_urlsafe(32)


def digest_of(token: str) -> str:
    return hashlib.sha256(_bytes_of(token)).hexdigest()


def _bytes_of(token: str) -> bytes:
    """A token as bytes, whatever characters it holds: `hmac.compare_digest` refuses str
    with non-ASCII characters (a TypeError, so a 500), and a header may carry any of them;
    `surrogatepass` keeps even a lone surrogate comparable instead of failing to encode."""
    return token.encode("utf-8", "surrogatepass")


@dataclass
class Authenticator:
    """Finds the scope a bearer token grants."""

    tokens: TokenStore
    configured_admin_token: str = ""

    def scope_of(self, token: str) -> Scope | None:
        if self.configured_admin_token and hmac.compare_digest(
            _bytes_of(token), _bytes_of(self.configured_admin_token)
        ):
            return Scope.ADMIN
        scopes = self.tokens.scopes_of(digest_of(token))
        return Scope.parse(scopes) if scopes else None

    def create(self, scope: Scope, label: str = "") -> str:
        token = new_token()
        self.tokens.add(digest_of(token), scope.name.lower(), label)
        return token


def ensure_first_admin_token(auth: Authenticator, data_dir: Path) -> str | None:
    """On a first start with no token configured, makes an admin token and keeps it in a
    0600 file in the data dir; returns it so the caller prints it once."""
    if auth.configured_admin_token or auth.tokens.count() > 0:
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    token = auth.create(Scope.ADMIN, "first start")
    path = data_dir / TOKEN_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    os.chmod(path, 0o600)
    return token
