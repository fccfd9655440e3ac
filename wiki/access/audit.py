"""The audit log: every change to spaces, groups and accounts, with who made it.

A part of `SpaceStore` (wiki/access/spaces.py), which gives it `_db`; the log is a
table of the accounts database (changes of spaces and groups write their entry in
the same transaction, `SpaceStore._change`). No Flask imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    date: datetime
    actor: str
    action: str
    target: str
    details: str


class Audit:
    def record(self, actor: str, action: str, target: str, details: str = "") -> None:
        """An audit entry for a change made elsewhere (accounts, for example)."""
        self._db().execute(
            "INSERT INTO audit (ts, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            (datetime.now(UTC).isoformat(), actor or "?", action, target, details),
        )

    def audit(self, *, limit: int = 100, offset: int = 0, target: str | None = None):
        """Audit entries, newest first (optionally about one space or group)."""
        where, params = ("WHERE target = ?", [target]) if target else ("", [])
        rows = self._db().execute(
            f"SELECT id, ts, actor, action, target, details FROM audit {where} "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [
            AuditEntry(i, datetime.fromisoformat(ts), actor, action, target, details)
            for i, ts, actor, action, target, details in rows
        ]
