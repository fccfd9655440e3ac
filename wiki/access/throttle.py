"""Failed-login limits kept in SQLite, so they hold across gunicorn workers.

At most `limit` failures per account and `address_limit` per client address
within `window` seconds; after that, password attempts for that account (from
anywhere), or from that address (for any account), are refused until the
oldest failure in the window ages out. The address limit is higher: many
people may share one address (an office behind NAT). No Flask imports.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from ..sqlite import Database
from .identity import name_key

ACCOUNT, ADDRESS = "user:", "addr:"  # the prefixes of the two kinds of key

_SCHEMA = """
CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, ts REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, ts);
"""


class LoginThrottle:
    def __init__(
        self, path: Path, *, limit: int = 10, window: int = 300, address_limit: int | None = None
    ) -> None:
        self.limit = limit
        self.address_limit = limit if address_limit is None else address_limit
        self.window = window
        self._database = Database(Path(path), schema=_SCHEMA)
        self._db = self._database.connection

    def close(self) -> None:
        self._database.close()

    def retry_after(self, keys: Iterable[str], *, now: float | None = None) -> int:
        """Seconds until these keys may try again (0: they may try now)."""
        now = time.time() if now is None else now
        wait = 0.0
        db = self._db()
        for key in keys:
            limit = self.address_limit if key.startswith(ADDRESS) else self.limit
            rows = db.execute(
                "SELECT ts FROM login_failures WHERE key = ? AND ts > ? ORDER BY ts DESC LIMIT ?",
                (key, now - self.window, limit),
            ).fetchall()
            if len(rows) >= limit:
                # allowed again once the limit-th newest failure leaves the window
                wait = max(wait, rows[-1][0] + self.window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, keys: Iterable[str], *, now: float | None = None) -> None:
        now = time.time() if now is None else now
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                "INSERT INTO login_failures (key, ts) VALUES (?, ?)", [(k, now) for k in keys]
            )
            db.execute("DELETE FROM login_failures WHERE ts < ?", (now - self.window,))
        finally:
            db.execute("COMMIT")

    def clear(self, keys: Iterable[str]) -> None:
        self._db().executemany("DELETE FROM login_failures WHERE key = ?", [(k,) for k in keys])


def login_keys(username: str, address: str | None) -> list[str]:
    """The throttle keys of a login attempt: the account (by identity key, so that no
    spelling of the name escapes its count) and the client address."""
    keys = []
    if username.strip():
        keys.append(ACCOUNT + name_key(username))
    if address:
        keys.append(ADDRESS + address)
    return keys
