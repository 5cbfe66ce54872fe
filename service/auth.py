"""Bearer tokens with scopes: read < write < admin (a wider scope includes the narrower)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from service.settings import Settings
from service.store.files import private_dir
from service.store.locations import SQLITE_FILE, is_postgres, sqlite_path
from service.store.tokens import Sessions, TokenStore

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


USE_NOTED_EVERY = 60.0  # seconds: a token's last use is written at most this often


@dataclass
class Authenticator:
    """Finds the scope a bearer token grants, and the scope of the token a page session was
    opened with (looked up again on every request, so that revoking it ends the session)."""

    tokens: TokenStore
    configured_admin_token: str = ""
    sessions: Sessions | None = None
    _noted: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def scope_of(self, token: str) -> Scope | None:
        if self.configured_admin_token and hmac.compare_digest(
            _bytes_of(token), _bytes_of(self.configured_admin_token)
        ):
            return Scope.ADMIN
        return self.scope_of_digest(digest_of(token))

    def scope_of_digest(self, digest: str) -> Scope | None:
        """The scope of the token with this digest; None once it is revoked."""
        if self.configured_admin_token and hmac.compare_digest(
            digest, digest_of(self.configured_admin_token)
        ):
            return Scope.ADMIN
        scopes = self.tokens.scopes_of(digest)
        if scopes is None:
            return None
        self._note_use(digest)
        return Scope.parse(scopes)

    def create(self, scope: Scope, label: str = "") -> str:
        token = new_token()
        self.tokens.add(digest_of(token), scope.name.lower(), label)
        return token

    def revoke(self, token_id: str) -> bool:
        """Removes the token with this id and ends every session opened with it."""
        digest = self.tokens.digest_of_id(token_id)
        if digest is None:
            return False
        removed = self.tokens.remove(digest)
        if self.sessions is not None:
            self.sessions.end_for_token(digest)
        return removed

    def _note_use(self, digest: str) -> None:
        """Writes when the token was last used, at most once a minute per token: a write on
        every request would hold the store's write lock for nothing."""
        now = time.monotonic()
        with self._lock:
            if now - self._noted.get(digest, -USE_NOTED_EVERY) < USE_NOTED_EVERY:
                return
            self._noted[digest] = now
        self.tokens.used(digest, dt.datetime.now(dt.UTC).isoformat())


def admin_token_file(settings: Settings) -> Path:
    """Where the first start keeps the admin token of the configured store, one file per
    store: `admin-token` for the default SQLite file in the data dir, else a name made of the
    store's address, so that starting on another store from the same folder never touches
    the token of the first."""
    data_dir = settings.data_path
    if is_postgres(settings.database_url):
        parts = urlsplit(settings.database_url)
        schema = parse_qs(parts.query).get("schema", ["public"])[0]
        database = unquote(parts.path.lstrip("/")) or "postgres"
        store = f"{parts.hostname}-{parts.port or 5432}-{database}-{schema}"
    else:
        file = sqlite_path(settings).resolve()
        if file == (data_dir / SQLITE_FILE).resolve():
            return data_dir / TOKEN_FILE
        store = "sqlite-" + hashlib.sha256(str(file).encode()).hexdigest()[:12]
    return data_dir / f"{TOKEN_FILE}-{_FILE_UNSAFE.sub('_', store)}"


_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def ensure_first_admin_token(auth: Authenticator, path: Path) -> tuple[str, Path] | None:
    """On a first start with no token configured, makes an admin token and keeps it in a
    new 0600 file at `path` (in a 0700 data dir); returns the token, for the caller to print
    once, and the file it is in. An existing file is never overwritten (its store was
    emptied, say): the token goes to `path` with a number added instead."""
    if auth.configured_admin_token or auth.tokens.count() > 0:
        return None
    private_dir(path.parent)
    token = auth.create(Scope.ADMIN, "first start")
    for number in itertools.count(1):
        candidate = path if number == 1 else path.with_name(f"{path.name}-{number}")
        try:
            descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "w") as file:
            file.write(token + "\n")
        os.chmod(candidate, 0o600)
        return token, candidate
    raise AssertionError("unreachable")
