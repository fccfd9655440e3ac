"""Personal API tokens in the accounts database: created, listed, revoked, looked up.

A token is shown once and stored only as a SHA-256 hash. It has a scope ("read":
reads only; "write": reads and writes, within the account's rights; "feed": only the
calendar and news feeds, as `?token=` in their address, for applications that cannot
send headers) and an optional expiry. `UserStore` offers these by user name; this module works on
account ids and a connection. No Flask imports.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from ..errors import N_
from ..errors import WikiError

TOKEN_PREFIX = "wiki_"
TOKEN_SCOPES = ("read", "write", "feed")
MAX_TOKEN_DAYS = 3650
LAST_USED_EVERY = 60  # seconds: how stale `last_used` may get (saves a write per request)


class TokenError(WikiError):
    status = 400


@dataclass(frozen=True)
class Token:
    id: int
    label: str
    hint: str  # the last characters, to tell tokens apart
    created: datetime
    last_used: datetime | None
    scope: str = "write"  # "read": reads only; "write": reads and writes
    expires: datetime | None = None  # None: never

    @property
    def expired(self) -> bool:
        return self.expires is not None and self.expires <= datetime.now(UTC)


def create(
    db: sqlite3.Connection, user_id: int, label: str, *, scope: str, days: int | None
) -> tuple[str, Token]:
    """A new token of the account: (the secret, shown once; its stored description).

    :raises TokenError: for an empty label, a bad scope or a bad number of days.
    """
    label = " ".join(label.split())[:80]
    if not label:
        raise TokenError(N_("Give the token a name, such as the computer it is for."))
    if scope not in TOKEN_SCOPES:
        raise TokenError(
            N_("A token's scope is one of: %(token_scopes)s."), token_scopes=", ".join(TOKEN_SCOPES)
        )
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS
    ):
        raise TokenError(
            N_("A token lasts 1 to %(max_token_days)s days, or never expires."),
            max_token_days=MAX_TOKEN_DAYS,
        )
    now = datetime.now(UTC)
    expires = (now + timedelta(days=days)).isoformat() if days is not None else None
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    cur = db.execute(
        "INSERT INTO tokens (user_id, label, token_hash, hint, created, scope, expires) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (user_id, label, digest(secret), secret[-4:], now.isoformat(), scope, expires),
    )
    return secret, next(t for t in listing(db, user_id) if t.id == cur.lastrowid)


def listing(db: sqlite3.Connection, user_id: int) -> list[Token]:
    """The account's tokens, newest first."""
    rows = db.execute(
        "SELECT id, label, hint, created, last_used, scope, expires FROM tokens "
        "WHERE user_id = ? ORDER BY id DESC",
        (user_id,),
    )
    return [
        Token(
            i,
            label,
            hint,
            datetime.fromisoformat(created),
            datetime.fromisoformat(used) if used else None,
            scope,
            datetime.fromisoformat(expires) if expires else None,
        )
        for i, label, hint, created, used, scope, expires in rows
    ]


def revoke(db: sqlite3.Connection, user_id: int | None, token_id: int) -> bool:
    """Delete one of the account's tokens (False: it has no such token)."""
    cur = db.execute("DELETE FROM tokens WHERE id = ? AND user_id = ?", (token_id, user_id))
    return cur.rowcount > 0


def revoke_all(db: sqlite3.Connection, user_id: int) -> None:
    db.execute("DELETE FROM tokens WHERE user_id = ?", (user_id,))


def lookup(db: sqlite3.Connection, secret: str) -> tuple[int, str] | None:
    """(account id, scope) of a token that exists and has not expired; notes its use."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = db.execute(
        "SELECT id, user_id, last_used, scope, expires FROM tokens WHERE token_hash = ?",
        (digest(secret),),
    ).fetchone()
    if row is None:
        return None
    token_id, user_id, last_used, scope, expires = row
    now = datetime.now(UTC)
    if expires is not None and datetime.fromisoformat(expires) <= now:
        return None
    if last_used is None or (now - datetime.fromisoformat(last_used)).total_seconds() > (
        LAST_USED_EVERY
    ):
        db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (now.isoformat(), token_id))
    return user_id, scope


def digest(secret: str) -> str:
    """How a random secret (a token, a reset link) is stored."""
    # 256 random bits: a fast hash is enough (there is no dictionary to try)
    return hashlib.sha256(secret.encode()).hexdigest()
