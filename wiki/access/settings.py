"""Site settings an administrator changes in the browser, and the first-run setup token.

A part of `UserStore` (wiki/access/users.py), which gives it `_db` and `_write`; the
`settings` table is a key/value table of the accounts database. A value stored here
wins over the configuration's (which stays the default until an admin changes it).
The setup token lets the first administrator be created from the browser: only its
SHA-256 is stored, it works while no administrator exists, and once. No Flask imports.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
# made after the `pending` column (an old database gets it when opened)
PENDING_INDEX = "CREATE INDEX IF NOT EXISTS users_pending ON users (pending) WHERE pending = 1"
_SETUP = "setup_token_sha256"
# what `set_setting` writes: run by SpaceStore._change, in the transaction of its audit entry
UPSERT = "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?"


def upsert(key: str, value: str) -> tuple[str, tuple[str, str, str]]:
    """The statement that stores a setting (for a transaction that also audits it)."""
    return UPSERT, (key, value, value)


def setup_digest(token: str) -> str:
    """What is stored of a setup token (and what a browser's session keeps of it)."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Settings:
    def setting(self, key: str, default: str) -> str:
        """The stored value of `key`, else `default` (the configuration's)."""
        row = self._db().execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def setting_is_stored(self, key: str) -> bool:
        row = self._db().execute("SELECT 1 FROM settings WHERE key = ?", (key,)).fetchone()
        return row is not None

    def pending_count(self) -> int:
        """Accounts that registered and wait for approval (the partial index counts them)."""
        return self._db().execute("SELECT count(*) FROM users WHERE pending = 1").fetchone()[0]

    # -- the first administrator ------------------------------------------------------

    def has_admin(self) -> bool:
        row = self._db().execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").fetchone()
        return row is not None

    def new_setup_token(self) -> str | None:
        """A fresh setup token (the previous one stops working), or None when an
        administrator exists. The token itself is returned once and never stored."""
        token = secrets.token_urlsafe(32)
        with self._write() as db:
            if db.execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").fetchone():
                db.execute("DELETE FROM settings WHERE key = ?", (_SETUP,))
                return None
            db.execute(*upsert(_SETUP, setup_digest(token)))
        return token

    def setup_valid(self, digest: str) -> bool:
        """Whether `digest` is the current setup token's (and no administrator exists)."""
        stored = self.setting(_SETUP, "")
        return bool(stored) and hmac.compare_digest(stored, digest) and not self.has_admin()

    def claim_setup(self, digest: str) -> bool:
        """Use the token up, if it is valid: of two requests with it, one gets True."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").fetchone():
                return False
            claimed = db.execute(
                "DELETE FROM settings WHERE key = ? AND value = ?", (_SETUP, digest)
            )
            return claimed.rowcount == 1

    def restore_setup(self, digest: str) -> None:
        """Give a claimed token back (creating the account failed, say on a taken name),
        unless a newer token or an administrator came meanwhile."""
        with self._write() as db:
            if not db.execute("SELECT 1 FROM users WHERE role = 'admin' LIMIT 1").fetchone():
                db.execute(
                    "INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", (_SETUP, digest)
                )

    def drop_setup_token(self) -> None:
        self._db().execute("DELETE FROM settings WHERE key = ?", (_SETUP,))
