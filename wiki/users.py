"""Accounts in SQLite: names, roles, hashed passwords. The Flask-Login user class.

Passwords are hashed with werkzeug (scrypt). No Flask imports besides the
`UserMixin` protocol that Flask-Login expects.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from flask_login import UserMixin
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from .errors import WikiError
from .sqlite import Database

ROLES = ("admin", "editor", "reader")
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[\w.\-]{2,40}$", re.UNICODE)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    session_version TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created TEXT NOT NULL,
    last_used TEXT
);
CREATE TABLE IF NOT EXISTS password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires REAL NOT NULL
);
"""
TOKEN_PREFIX = "wiki_"
RESET_HOURS = 24


class AccountError(WikiError):
    status = 400


@dataclass(frozen=True)
class User(UserMixin):
    id: int
    username: str
    display_name: str
    email: str
    role: str
    disabled: bool
    session_version: str
    pending: bool = False  # registered, waiting for an administrator's approval

    def get_id(self) -> str:
        # The session version is part of the id: changing the password changes it,
        # which ends every other session of this user.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return not (self.disabled or self.pending)

    @property
    def status(self) -> str:
        return "pending" if self.pending else "disabled" if self.disabled else "active"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "editor") and self.is_active


@dataclass(frozen=True)
class Token:
    id: int
    label: str
    hint: str  # the last characters, to tell tokens apart
    created: datetime
    last_used: datetime | None


class UserStore:
    """The account database (one SQLite file in the instance folder)."""

    def __init__(self, path: Path, *, hash_method: str = "scrypt") -> None:
        self.path = Path(path)
        self.hash_method = hash_method
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._database = Database(self.path, schema=_SCHEMA)
        self._db = self._database.connection
        columns = {row[1] for row in self._db().execute("PRAGMA table_info(users)")}
        if "pending" not in columns:  # databases from before registration existed
            self._db().execute("ALTER TABLE users ADD COLUMN pending INTEGER NOT NULL DEFAULT 0")

    def close(self) -> None:
        self._database.close()

    def add(
        self,
        username: str,
        password: str,
        *,
        role: str = "editor",
        email: str = "",
        display_name: str = "",
        pending: bool = False,
    ) -> User:
        """Create an account.

        :raises AccountError: for a taken or malformed name, a bad role, e-mail or password.
        """
        username = username.strip()
        if not _USERNAME.match(username):
            raise AccountError(
                "A user name has 2 to 40 letters, digits, '.', '-' or '_' (no spaces)."
            )
        if role not in ROLES:
            raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
        email = email.strip() or f"{username}@users.noreply"
        if not _EMAIL.match(email):
            raise AccountError("That e-mail address does not look right.")
        _check_password(password)
        try:
            cur = self._db().execute(
                "INSERT INTO users (username, display_name, email, password_hash, role, "
                "session_version, created, pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    username,
                    display_name.strip() or username,
                    email,
                    generate_password_hash(password, self.hash_method),
                    role,
                    secrets.token_hex(8),
                    datetime.now(UTC).isoformat(),
                    int(pending),
                ),
            )
        except sqlite3.IntegrityError:
            raise AccountError(f"The user name '{username}' is taken.") from None
        user = self.get(cur.lastrowid)
        assert user is not None
        return user

    def get(self, user_id: int) -> User | None:
        row = (
            self._db()
            .execute(
                "SELECT id, username, display_name, email, role, disabled, session_version, "
                "pending FROM users WHERE id = ?",
                (user_id,),
            )
            .fetchone()
        )
        return User(*row[:5], bool(row[5]), row[6], bool(row[7])) if row else None

    def by_name(self, username: str) -> User | None:
        row = (
            self._db()
            .execute("SELECT id FROM users WHERE username = ?", (username.strip(),))
            .fetchone()
        )
        return self.get(row[0]) if row else None

    def load(self, session_id: str) -> User | None:
        """The user for a Flask-Login session id ("<id>:<session version>")."""
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = self.get(int(user_id))
        if user is None or user.session_version != version or not user.is_active:
            return None
        return user

    def exists(self, username: str) -> bool:
        return self.by_name(username) is not None

    def authenticate(
        self, username: str, password: str, *, allow_inactive: bool = False
    ) -> User | None:
        """The account if the password is right and it is active (or `allow_inactive`)."""
        row = (
            self._db()
            .execute("SELECT id, password_hash FROM users WHERE username = ?", (username.strip(),))
            .fetchone()
        )
        if row is None:
            check_password_hash(_dummy_hash(), password)  # same time either way
            return None
        if not check_password_hash(row[1], password):
            return None
        user = self.get(row[0])
        return user if user and (user.is_active or allow_inactive) else None

    def set_password(self, username: str, password: str) -> None:
        """Change a password; the user's existing sessions end.

        :raises AccountError: for an unknown user or a too-short password.
        """
        _check_password(password)
        cur = self._db().execute(
            "UPDATE users SET password_hash = ?, session_version = ? WHERE username = ?",
            (
                generate_password_hash(password, self.hash_method),
                secrets.token_hex(8),
                username.strip(),
            ),
        )
        if cur.rowcount == 0:
            raise AccountError(f"There is no user called '{username}'.")

    def set_role(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
        cur = self._db().execute(
            "UPDATE users SET role = ? WHERE username = ?", (role, username.strip())
        )
        if cur.rowcount == 0:
            raise AccountError(f"There is no user called '{username}'.")

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable an account (its sessions and tokens stop working) or enable it again."""
        cur = self._db().execute(
            "UPDATE users SET disabled = ?, session_version = ? WHERE username = ?",
            (int(disabled), secrets.token_hex(8), username.strip()),
        )
        if cur.rowcount == 0:
            raise AccountError(f"There is no user called '{username}'.")

    def approve(self, username: str) -> None:
        """Let a registered account that waits for approval log in."""
        cur = self._db().execute(
            "UPDATE users SET pending = 0 WHERE username = ?", (username.strip(),)
        )
        if cur.rowcount == 0:
            raise AccountError(f"There is no user called '{username}'.")

    # -- personal API tokens ------------------------------------------------------------

    def create_token(self, username: str, label: str) -> tuple[str, Token]:
        """A new token for the user: (the secret, shown once; its stored description)."""
        user = self.by_name(username)
        if user is None:
            raise AccountError(f"There is no user called '{username}'.")
        label = " ".join(label.split())[:80]
        if not label:
            raise AccountError("Give the token a name, such as the computer it is for.")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        cur = self._db().execute(
            "INSERT INTO tokens (user_id, label, token_hash, hint, created) VALUES (?, ?, ?, ?, ?)",
            (user.id, label, _digest(secret), secret[-4:], datetime.now(UTC).isoformat()),
        )
        return secret, next(t for t in self.tokens(user.username) if t.id == cur.lastrowid)

    def tokens(self, username: str) -> list[Token]:
        rows = self._db().execute(
            "SELECT t.id, t.label, t.hint, t.created, t.last_used FROM tokens t "
            "JOIN users u ON u.id = t.user_id WHERE u.username = ? ORDER BY t.id DESC",
            (username.strip(),),
        )
        return [
            Token(i, label, hint, datetime.fromisoformat(created),
                  datetime.fromisoformat(used) if used else None)
            for i, label, hint, created, used in rows
        ]

    def revoke_token(self, username: str, token_id: int) -> None:
        """:raises AccountError: when the user has no such token."""
        cur = self._db().execute(
            "DELETE FROM tokens WHERE id = ? AND user_id = "
            "(SELECT id FROM users WHERE username = ?)",
            (token_id, username.strip()),
        )
        if cur.rowcount == 0:
            raise AccountError("There is no such token (it may have been revoked already).")

    def user_for_token(self, secret: str, username: str | None = None) -> User | None:
        """The active account a token belongs to (and is named `username`, if given)."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        db = self._db()
        row = db.execute(
            "SELECT id, user_id, last_used FROM tokens WHERE token_hash = ?", (_digest(secret),)
        ).fetchone()
        if row is None:
            return None
        user = self.get(row[1])
        if user is None or not user.is_active:
            return None
        if username is not None and user.username.casefold() != username.strip().casefold():
            return None
        now = datetime.now(UTC)
        if row[2] is None or (now - datetime.fromisoformat(row[2])).total_seconds() > 60:
            db.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (now.isoformat(), row[0]))
        return user

    # -- password reset links -------------------------------------------------------------

    def create_reset(self, username: str, *, hours: int = RESET_HOURS) -> str:
        """A one-time secret for a password reset link, valid for `hours`."""
        user = self.by_name(username)
        if user is None:
            raise AccountError(f"There is no user called '{username}'.")
        secret = secrets.token_urlsafe(32)
        db = self._db()
        db.execute("DELETE FROM password_resets WHERE user_id = ? OR expires < ?",
                   (user.id, time.time()))
        db.execute(
            "INSERT INTO password_resets (token_hash, user_id, expires) VALUES (?, ?, ?)",
            (_digest(secret), user.id, time.time() + hours * 3600),
        )
        return secret

    def reset_user(self, secret: str) -> User | None:
        """The account a reset link is for, while it is valid."""
        row = self._db().execute(
            "SELECT user_id, expires FROM password_resets WHERE token_hash = ?", (_digest(secret),)
        ).fetchone()
        if row is None or row[1] < time.time():
            return None
        return self.get(row[0])

    def use_reset(self, secret: str, password: str) -> User:
        """Set a new password through a reset link; the link then stops working.

        :raises AccountError: for an expired or used link, or a too-short password.
        """
        user = self.reset_user(secret)
        if user is None:
            raise AccountError("This link has expired or was used already. Ask for a new one.")
        self.set_password(user.username, password)
        self._db().execute("DELETE FROM password_resets WHERE user_id = ?", (user.id,))
        return user

    def all(self) -> list[User]:
        rows = self._db().execute("SELECT id FROM users ORDER BY username COLLATE NOCASE")
        return [u for (uid,) in rows.fetchall() if (u := self.get(uid)) is not None]

    def count(self, role: str | None = None) -> int:
        if role is None:
            return self._db().execute("SELECT count(*) FROM users").fetchone()[0]
        return (
            self._db().execute("SELECT count(*) FROM users WHERE role = ?", (role,)).fetchone()[0]
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A password needs at least {MIN_PASSWORD} characters.")


def _digest(secret: str) -> str:
    # tokens are 256 random bits: a fast hash is enough (no dictionary to try)
    return hashlib.sha256(secret.encode()).hexdigest()


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))
