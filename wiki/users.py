"""Accounts in SQLite: names, roles, hashed passwords. The Flask-Login user class.

Passwords are hashed with werkzeug (scrypt). No Flask imports besides the
`UserMixin` protocol that Flask-Login expects.
"""

from __future__ import annotations

import functools
import re
import secrets
import sqlite3
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
"""


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

    def get_id(self) -> str:
        # The session version is part of the id: changing the password changes it,
        # which ends every other session of this user.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return not self.disabled

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_write(self) -> bool:
        return self.role in ("admin", "editor") and not self.disabled


class UserStore:
    """The account database (one SQLite file in the instance folder)."""

    def __init__(self, path: Path, *, hash_method: str = "scrypt") -> None:
        self.path = Path(path)
        self.hash_method = hash_method
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._database = Database(self.path, schema=_SCHEMA)
        self._db = self._database.connection

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
                "session_version, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    username,
                    display_name.strip() or username,
                    email,
                    generate_password_hash(password, self.hash_method),
                    role,
                    secrets.token_hex(8),
                    datetime.now(UTC).isoformat(),
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
                "SELECT id, username, display_name, email, role, disabled, session_version "
                "FROM users WHERE id = ?",
                (user_id,),
            )
            .fetchone()
        )
        return User(*row[:5], bool(row[5]), row[6]) if row else None

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
        if user is None or user.session_version != version or user.disabled:
            return None
        return user

    def authenticate(self, username: str, password: str) -> User | None:
        """The account if the password is right and it is not disabled."""
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
        return user if user and not user.disabled else None

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


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(8))
