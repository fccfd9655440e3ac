"""Credentials besides the password: personal API tokens (stored by wiki/access/tokens.py)
and one-time password reset links.

`Credentials` is a part of `UserStore` (wiki/access/users.py), which gives it `_db`,
`_write`, `_find`, `_require`, `get` and `hash_method`. No Flask imports.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from werkzeug.security import generate_password_hash

from ..errors import N_
from ..errors import AccountError
from . import tokens
from .identity import name_key
from .tokens import Token
from .tokens import digest

if TYPE_CHECKING:
    from .users import User

RESET_HOURS = 24
MIN_PASSWORD = 8


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(
            N_("A password needs at least %(min_password)s characters."), min_password=MIN_PASSWORD
        )


class Credentials:
    # -- personal API tokens (wiki/access/tokens.py) ------------------------------------------

    def create_token(
        self, username: str, label: str, *, scope: str = "write", days: int | None = None
    ) -> tuple[str, Token]:
        """A new token for the user: (the secret, shown once; its stored description).

        `scope` "read" lets it read only; `days` None means it never expires.

        :raises AccountError: for an unknown user, an empty label, a bad scope or expiry.
        """
        user = self._require(username)
        try:
            return tokens.create(self._db(), user.id, label, scope=scope, days=days)
        except tokens.TokenError as problem:
            raise AccountError(problem.message) from None

    def tokens(self, username: str) -> list[Token]:
        user_id = self._find(username)
        return tokens.listing(self._db(), user_id) if user_id is not None else []

    def revoke_token(self, username: str, token_id: int) -> None:
        """:raises AccountError: when the user has no such token."""
        if not tokens.revoke(self._db(), self._find(username), token_id):
            raise AccountError(N_("There is no such token (it may have been revoked already)."))

    def user_for_token(self, secret: str, username: str | None = None) -> User | None:
        """The active account a token belongs to (and is named `username`, if given), while
        the token has not expired; `read_only` is set for a read-scoped token."""
        found = tokens.lookup(self._db(), secret)
        user = self.get(found[0]) if found else None
        if user is None or not user.is_active:
            return None
        if username is not None and name_key(user.username) != name_key(username):
            return None
        if found[1] == "feed":
            return None  # a feed address's token reads feeds, nothing else
        # only these scopes are ever stored: anything but "read" may write
        return replace(user, read_only=found[1] == "read")

    def user_for_feed_token(self, secret: str) -> User | None:
        """The active account of a feed token (scope "feed"), reading only."""
        found = tokens.lookup(self._db(), secret)
        if found is None or found[1] != "feed":
            return None
        user = self.get(found[0])
        if user is None or not user.is_active:
            return None
        return replace(user, read_only=True)

    # -- password reset links -------------------------------------------------------------

    def create_reset(self, username: str, *, hours: int = RESET_HOURS) -> str:
        """A one-time secret for a password reset link, valid for `hours`."""
        user = self._require(username)
        secret = secrets.token_urlsafe(32)
        with self._write() as db:
            db.execute(
                "DELETE FROM password_resets WHERE user_id = ? OR expires < ?",
                (user.id, time.time()),
            )
            db.execute(
                "INSERT INTO password_resets (token_hash, user_id, expires) VALUES (?, ?, ?)",
                (digest(secret), user.id, time.time() + hours * 3600),
            )
        return secret

    def reset_user(self, secret: str) -> User | None:
        """The account a reset link is for, while it is valid."""
        row = (
            self._db()
            .execute(
                "SELECT user_id, expires FROM password_resets WHERE token_hash = ?",
                (digest(secret),),
            )
            .fetchone()
        )
        if row is None or row[1] < time.time():
            return None
        return self.get(row[0])

    def use_reset(self, secret: str, password: str) -> User:
        """Set a new password through a reset link; the link then stops working and the
        user's sessions end.

        :raises AccountError: for an expired or used link, or a too-short password.
        """
        user = self.reset_user(secret)
        if user is None:
            raise AccountError(N_("This link has expired or was used already. Ask for a new one."))
        check_password(password)
        with self._write() as db:
            db.execute(
                "UPDATE users SET password_hash = ?, session_version = ? WHERE id = ?",
                (generate_password_hash(password, self.hash_method), secrets.token_hex(8), user.id),
            )
            db.execute("DELETE FROM password_resets WHERE user_id = ?", (user.id,))
        return user
