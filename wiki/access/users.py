"""Accounts in SQLite: names, roles, hashed passwords. The Flask-Login user class.

Passwords are hashed with werkzeug (scrypt). Names are compared by their
identity key (wiki/access/identity.py) everywhere: the stored `name_key` column is
unique, except in an old database where two accounts already share a key;
those are never merged, `collisions()` names them, and neither gets
membership through the shared name (`User.ambiguous`). No Flask imports
besides the `UserMixin` protocol that Flask-Login expects.
"""

from __future__ import annotations

import functools
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

from flask_login import UserMixin
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from ..errors import N_
from ..errors import AccountError
from ..sqlite import Database
from . import tokens
from .credentials import MIN_PASSWORD
from .credentials import Credentials
from .credentials import check_password
from .identity import mixes_scripts
from .identity import name_key
from .settings import PENDING_INDEX
from .settings import SCHEMA as SETTINGS_SCHEMA
from .settings import Settings

ROLES = ("admin", "editor", "reader")
_USERNAME = re.compile(r"^[\w.\-]{2,40}$", re.UNICODE)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")

__all__ = ["MIN_PASSWORD", "AccountError", "User", "UserStore", "check_username"]

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
# Columns added since the first release: every database gets them when opened.
_ADDED_COLUMNS = {
    "users": (
        ("pending", "INTEGER NOT NULL DEFAULT 0"),
        ("name_key", "TEXT"),
        ("ui_language", "TEXT NOT NULL DEFAULT ''"),
    ),
    # tokens from before scopes existed could write: they keep that
    "tokens": (("scope", "TEXT NOT NULL DEFAULT 'write'"), ("expires", "TEXT")),
}
_USER_COLUMNS = (
    "id, username, display_name, email, role, disabled, session_version, pending, "
    # another account that is not disabled has the same key (old databases only)
    "EXISTS (SELECT 1 FROM users other WHERE other.name_key = users.name_key "
    "AND other.id != users.id AND other.disabled = 0), ui_language"
)


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
    # another active account's name has the same identity key (an old database):
    # memberships by that name are not granted to either of them
    ambiguous: bool = False
    read_only: bool = False  # this request came with a read-only token
    ui_language: str = ""  # the interface language the user chose ("" for none)

    def get_id(self) -> str:
        # The session version is part of the id: logging out, changing the password or
        # the role, and disabling change it, which ends every session of this user.
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return not (self.disabled or self.pending)

    @property
    def status(self) -> str:
        return "pending" if self.pending else "disabled" if self.disabled else "active"


class UserStore(Credentials, Settings):
    """The account database (one SQLite file in the instance folder)."""

    def __init__(self, path: Path, *, hash_method: str = "scrypt") -> None:
        self.path = Path(path)
        self.hash_method = hash_method
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._database = Database(self.path, schema=_SCHEMA + SETTINGS_SCHEMA)
        self._db = self._database.connection
        self._migrate()
        self._db().execute(PENDING_INDEX)

    def close(self) -> None:
        self._database.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (several workers may open the database at once)."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _migrate(self) -> None:
        with self._write() as db:
            for table, columns in _ADDED_COLUMNS.items():
                present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for column, declaration in columns:
                    if column not in present:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            unkeyed = db.execute("SELECT id, username FROM users WHERE name_key IS NULL").fetchall()
            if unkeyed:
                # accounts from before keys existed (or added by an older version since):
                # the unique index, if any, is rebuilt below once every account has its key
                db.execute("DROP INDEX IF EXISTS users_name_key")
                db.executemany(
                    "UPDATE users SET name_key = ? WHERE id = ?",
                    [(name_key(name), i) for i, name in unkeyed],
                )
            try:
                db.execute("CREATE UNIQUE INDEX IF NOT EXISTS users_name_key ON users (name_key)")
            except sqlite3.IntegrityError:
                # Two accounts of an old database share a key: never merge them silently.
                # The key stays non-unique; `collisions()` names them for `wiki init`/`serve`.
                db.execute("CREATE INDEX IF NOT EXISTS users_name_key_shared ON users (name_key)")

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
        username = check_username(username)
        if role not in ROLES:
            raise AccountError(N_("The role must be one of: %(roles)s."), roles=", ".join(ROLES))
        email = email.strip() or f"{username}@users.noreply"
        if not _EMAIL.match(email):
            raise AccountError(N_("That e-mail address does not look right."))
        check_password(password)
        password_hash = generate_password_hash(password, self.hash_method)  # slow: not locked
        taken = AccountError(
            f"The user name '{username}' is taken (names that differ only in letter case or "
            "in another form of the same letter, such as ß and ss, count as the same). "
            "Choose another."
        )
        key = name_key(username)
        try:
            with self._write() as db:
                if db.execute("SELECT 1 FROM users WHERE name_key = ?", (key,)).fetchone():
                    raise taken
                cur = db.execute(
                    "INSERT INTO users (username, name_key, display_name, email, password_hash, "
                    "role, session_version, created, pending) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        username,
                        key,
                        display_name.strip() or username,
                        email,
                        password_hash,
                        role,
                        secrets.token_hex(8),
                        datetime.now(UTC).isoformat(),
                        int(pending),
                    ),
                )
        except sqlite3.IntegrityError:
            raise taken from None
        user = self.get(cur.lastrowid)
        assert user is not None
        return user

    def get(self, user_id: int) -> User | None:
        row = (
            self._db()
            .execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
            .fetchone()
        )
        if row is None:
            return None
        return User(
            *row[:5], bool(row[5]), row[6], bool(row[7]), bool(row[8]), ui_language=row[9] or ""
        )

    def _find(self, username: str) -> int | None:
        """The id of the account called `username`: the one with exactly this stored name,
        else the only one with its identity key, else the only one of those that is not
        disabled (None: no account, or several that an old database let share a key)."""
        name = username.strip()
        db = self._db()
        row = db.execute(
            "SELECT id FROM users WHERE username = ? COLLATE BINARY", (name,)
        ).fetchone()
        if row is not None:
            return row[0]
        rows = db.execute(
            "SELECT id, disabled FROM users WHERE name_key = ?", (name_key(name),)
        ).fetchall()
        if len(rows) > 1:
            rows = [r for r in rows if not r[1]]
        return rows[0][0] if len(rows) == 1 else None

    def _require(self, username: str) -> User:
        user_id = self._find(username)
        user = self.get(user_id) if user_id is not None else None
        if user is None:
            raise AccountError(
                N_("There is no user called '%(username)s'."), username=username.strip()
            )
        return user

    def by_name(self, username: str) -> User | None:
        """The account called `username` (compared by identity key)."""
        user_id = self._find(username)
        return self.get(user_id) if user_id is not None else None

    def stored_name(self, username: str) -> str | None:
        """The stored name of the account called `username` (None: there is none).

        :raises AccountError: when several active accounts share the name's key, so a
            membership given to it would be ambiguous.
        """
        holders = self._holders(name_key(username))
        if len(holders) > 1:
            raise AccountError(
                f"The accounts {_listing(holders)} have names the wiki treats as the same; "
                "they get no membership by name until all but one are disabled."
            )
        user = self.by_name(username)
        return user.username if user else None

    def _holders(self, key: str) -> list[str]:
        rows = self._db().execute(
            "SELECT username FROM users WHERE name_key = ? AND disabled = 0 ORDER BY username",
            (key,),
        )
        return [name for (name,) in rows]

    def collisions(self) -> list[list[str]]:
        """Names that several accounts (not disabled) share by identity key, as lists of
        stored names: only old databases have them, and they must be resolved by hand."""
        rows = self._db().execute(
            "SELECT name_key, username FROM users WHERE disabled = 0 AND name_key IN "
            "(SELECT name_key FROM users WHERE disabled = 0 GROUP BY name_key "
            "HAVING count(*) > 1) ORDER BY name_key, username"
        )
        found: dict[str, list[str]] = {}
        for key, name in rows:
            found.setdefault(key, []).append(name)
        return list(found.values())

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
        user_id = self._find(username)
        row = None
        if user_id is not None:
            row = (
                self._db()
                .execute("SELECT password_hash FROM users WHERE id = ?", (user_id,))
                .fetchone()
            )
        if row is None:
            # same time either way: a hash of the same method as the real ones
            check_password_hash(_dummy_hash(self.hash_method), password)
            return None
        if not check_password_hash(row[0], password):
            return None
        user = self.get(user_id)
        return user if user and (user.is_active or allow_inactive) else None

    def set_password(self, username: str, password: str) -> None:
        """Change a password; the user's existing sessions end.

        :raises AccountError: for an unknown user or a too-short password.
        """
        check_password(password)
        user = self._require(username)
        self._db().execute(
            "UPDATE users SET password_hash = ?, session_version = ? WHERE id = ?",
            (generate_password_hash(password, self.hash_method), secrets.token_hex(8), user.id),
        )

    def end_sessions(self, username: str) -> None:
        """End every session of the user (logging out ends the copies of a session too)."""
        user = self._require(username)
        self._db().execute(
            "UPDATE users SET session_version = ? WHERE id = ?", (secrets.token_hex(8), user.id)
        )

    def set_ui_language(self, username: str, code: str) -> None:
        """Remember the interface language a user chose (a code of wiki/i18n.py)."""
        user = self._require(username)
        self._db().execute("UPDATE users SET ui_language = ? WHERE id = ?", (code, user.id))

    def set_role(self, username: str, role: str) -> None:
        """Change a user's role; a change ends the user's sessions."""
        if role not in ROLES:
            raise AccountError(N_("The role must be one of: %(roles)s."), roles=", ".join(ROLES))
        user = self._require(username)
        if user.role == role:
            return
        self._db().execute(
            "UPDATE users SET role = ?, session_version = ? WHERE id = ?",
            (role, secrets.token_hex(8), user.id),
        )

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable an account (its sessions end, its tokens and reset links are revoked)
        or enable it again.

        :raises AccountError: for an unknown user, or enabling an account whose name
            another active account shares.
        """
        user = self._require(username)
        with self._write() as db:
            if not disabled:
                others = [n for n in self._holders(name_key(user.username)) if n != user.username]
                if others:
                    raise AccountError(
                        f"'{user.username}' cannot be enabled: the wiki treats its name as the "
                        f"same as {_listing(others)}. Keep one of them disabled."
                    )
            db.execute(
                "UPDATE users SET disabled = ?, session_version = ? WHERE id = ?",
                (int(disabled), secrets.token_hex(8), user.id),
            )
            if disabled:
                # enabling the account again must not bring its old credentials back
                tokens.revoke_all(db, user.id)
                db.execute("DELETE FROM password_resets WHERE user_id = ?", (user.id,))

    def approve(self, username: str) -> None:
        """Let a registered account that waits for approval log in."""
        user = self._require(username)
        self._db().execute("UPDATE users SET pending = 0 WHERE id = ?", (user.id,))

    def all(self) -> list[User]:
        rows = self._db().execute("SELECT id FROM users ORDER BY username COLLATE NOCASE")
        return [u for (uid,) in rows.fetchall() if (u := self.get(uid)) is not None]

    def count(self, role: str | None = None) -> int:
        if role is None:
            return self._db().execute("SELECT count(*) FROM users").fetchone()[0]
        return (
            self._db().execute("SELECT count(*) FROM users WHERE role = ?", (role,)).fetchone()[0]
        )


def check_username(username: str) -> str:
    """The name as it will be stored (trimmed, NFC).

    :raises AccountError: for a malformed name or one that mixes scripts.
    """
    name = unicodedata.normalize("NFC", username.strip())
    if not _USERNAME.match(name):
        raise AccountError(
            N_("A user name has 2 to 40 letters, digits, '.', '-' or '_' (no spaces).")
        )
    if mixes_scripts(name):
        raise AccountError(
            N_(
                "A user name may not mix letters of different scripts (such as Latin with "
                "Cyrillic or Greek): look-alike letters could pass for another account's name."
            )
        )
    return name


def _listing(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1] if len(quoted) > 1 else quoted[0]


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(8), method)
