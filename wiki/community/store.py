"""Watches, notifications, profiles and the mail queue, in the accounts database.

Everything here belongs to accounts (who watches what, who was told what, who wants
which mail, who is listed in the directory), so it lives beside them in SQLite and in
every backup of the instance folder. Pages and comments stay in git. No Flask imports.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from ..sqlite import Database

MAIL_MODES = ("instant", "daily", "weekly", "never")
WATCH_KINDS = ("page", "folder", "type")
MAX_ATTEMPTS = 6  # a mail that failed this often is given up (admins see it)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    target_key TEXT NOT NULL,
    created REAL NOT NULL,
    PRIMARY KEY (user_id, kind, target_key)
);
CREATE INDEX IF NOT EXISTS watches_by_target ON watches (kind, target_key);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    page TEXT NOT NULL,
    actor TEXT NOT NULL,
    sha TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    excerpt TEXT NOT NULL DEFAULT '',
    count INTEGER NOT NULL DEFAULT 1,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    read_at REAL,
    mailed_at REAL
);
CREATE INDEX IF NOT EXISTS notifications_by_user ON notifications (user_id, read_at, updated);
CREATE INDEX IF NOT EXISTS notifications_unmailed ON notifications (user_id)
    WHERE mailed_at IS NULL;
CREATE TABLE IF NOT EXISTS profiles (
    user_id INTEGER PRIMARY KEY,
    mail TEXT NOT NULL DEFAULT 'daily',
    auto_watch INTEGER NOT NULL DEFAULT 1,
    last_digest REAL NOT NULL DEFAULT 0,
    listed INTEGER NOT NULL DEFAULT 0,
    institution TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    working_groups TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    expertise TEXT NOT NULL DEFAULT '',
    about TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS mail_queue (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    notices TEXT NOT NULL DEFAULT '[]',
    subject TEXT NOT NULL DEFAULT '',
    recipient TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    sent_at REAL,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS mail_due ON mail_queue (status, next_attempt);
CREATE TABLE IF NOT EXISTS community_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Profile:
    user_id: int
    mail: str = "daily"
    auto_watch: bool = True
    last_digest: float = 0.0
    listed: bool = False
    institution: str = ""
    country: str = ""
    working_groups: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    about: str = ""


@dataclass(frozen=True)
class Notice:
    id: int
    user_id: int
    kind: str  # new | edit | delete | rename | comment | reply | mention | consultation
    page: str
    actor: str
    sha: str
    comment: str
    excerpt: str
    count: int
    created: float
    updated: float
    read: bool
    mailed: bool


@dataclass(frozen=True)
class Watch:
    kind: str
    target: str
    created: float


@dataclass(frozen=True)
class QueuedMail:
    id: int
    user_id: int
    kind: str
    notices: tuple[int, ...]
    subject: str
    recipient: str
    created: float
    attempts: int
    next_attempt: float
    status: str
    sent_at: float | None
    error: str


@dataclass
class Pending:
    """What one user should hear about, gathered while following commits."""

    kind: str
    page: str
    actor: str
    sha: str
    comment: str = ""
    excerpt: str = ""
    extra: dict = field(default_factory=dict)


_PRIORITY = {"mention": 5, "reply": 4, "consultation": 3, "comment": 2, "new": 1}


def priority(kind: str) -> int:
    return _PRIORITY.get(kind, 0)


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in (p.strip() for p in value.split("\n")) if v)


def _joined(values: Iterable[str]) -> str:
    return "\n".join(v.strip() for v in values if v and v.strip())


class CommunityStore:
    def __init__(self, path: Path) -> None:
        self._database = Database(Path(path), schema=_SCHEMA)
        self._db = self._database.connection

    def close(self) -> None:
        self._database.close()

    def transaction(self):
        """A write transaction (BEGIN IMMEDIATE ... COMMIT), for following commits."""
        return _Transaction(self._db())

    # -- meta --------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = (
            self._db().execute("SELECT value FROM community_meta WHERE key = ?", (key,)).fetchone()
        )
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db().execute("INSERT OR REPLACE INTO community_meta VALUES (?, ?)", (key, value))

    def take_lease(self, owner: str, seconds: float, now: float | None = None) -> bool:
        """Whether `owner` (a process) holds the worker lease now: one process sends mail."""
        now = time.time() if now is None else now
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT value FROM community_meta WHERE key = 'lease'").fetchone()
            holder, _, until = (row[0] if row else "").partition(" ")
            if row and holder != owner and float(until or 0) > now:
                db.execute("COMMIT")
                return False
            db.execute(
                "INSERT OR REPLACE INTO community_meta VALUES ('lease', ?)",
                (f"{owner} {now + seconds}",),
            )
            db.execute("COMMIT")
            return True
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- profiles ------------------------------------------------------------------------

    def profile(self, user_id: int) -> Profile:
        row = (
            self._db()
            .execute(
                "SELECT user_id, mail, auto_watch, last_digest, listed, institution, country, "
                "working_groups, languages, expertise, about FROM profiles WHERE user_id = ?",
                (user_id,),
            )
            .fetchone()
        )
        return _profile(row) if row else Profile(user_id)

    def profiles(self, *, listed_only: bool = False) -> dict[int, Profile]:
        sql = (
            "SELECT user_id, mail, auto_watch, last_digest, listed, institution, country, "
            "working_groups, languages, expertise, about FROM profiles"
        )
        if listed_only:
            sql += " WHERE listed = 1"
        return {row[0]: _profile(row) for row in self._db().execute(sql)}

    def save_profile(self, user_id: int, **values) -> Profile:
        current = self.profile(user_id)
        merged = {**current.__dict__, **values}
        self._db().execute(
            "INSERT OR REPLACE INTO profiles (user_id, mail, auto_watch, last_digest, listed, "
            "institution, country, working_groups, languages, expertise, about) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                merged["mail"] if merged["mail"] in MAIL_MODES else "daily",
                int(bool(merged["auto_watch"])),
                float(merged["last_digest"]),
                int(bool(merged["listed"])),
                merged["institution"].strip(),
                merged["country"].strip(),
                _joined(merged["working_groups"]),
                _joined(merged["languages"]),
                _joined(merged["expertise"]),
                merged["about"].strip(),
            ),
        )
        return self.profile(user_id)

    # -- watches -------------------------------------------------------------------------

    def watch(self, user_id: int, kind: str, target: str, key: str) -> bool:
        """Start watching; False when already watched."""
        cursor = self._db().execute(
            "INSERT OR IGNORE INTO watches VALUES (?, ?, ?, ?, ?)",
            (user_id, kind, target, key, time.time()),
        )
        return cursor.rowcount > 0

    def unwatch(self, user_id: int, kind: str, key: str) -> None:
        self._db().execute(
            "DELETE FROM watches WHERE user_id = ? AND kind = ? AND target_key = ?",
            (user_id, kind, key),
        )

    def watches(self, user_id: int) -> list[Watch]:
        return [
            Watch(kind, target, created)
            for kind, target, created in self._db().execute(
                "SELECT kind, target, created FROM watches WHERE user_id = ? "
                "ORDER BY kind, target COLLATE NOCASE",
                (user_id,),
            )
        ]

    def is_watching(self, user_id: int, kind: str, key: str) -> bool:
        return (
            self._db()
            .execute(
                "SELECT 1 FROM watches WHERE user_id = ? AND kind = ? AND target_key = ?",
                (user_id, kind, key),
            )
            .fetchone()
            is not None
        )

    def watchers(self, targets: Iterable[tuple[str, str]]) -> set[int]:
        """The users watching any of these (kind, key) targets."""
        found: set[int] = set()
        db = self._db()
        for kind, key in targets:
            found.update(
                row[0]
                for row in db.execute(
                    "SELECT user_id FROM watches WHERE kind = ? AND target_key = ?", (kind, key)
                )
            )
        return found

    def move_watches(self, kind: str, old_key: str, new: str, new_key: str) -> None:
        """A renamed page: its watchers watch it under the new name."""
        self._db().execute(
            "UPDATE OR IGNORE watches SET target = ?, target_key = ? WHERE kind = ? "
            "AND target_key = ?",
            (new, new_key, kind, old_key),
        )
        self._db().execute("DELETE FROM watches WHERE kind = ? AND target_key = ?", (kind, old_key))

    # -- notifications -------------------------------------------------------------------

    def notify(self, user_id: int, item: Pending, now: float) -> None:
        """Record a notification; an edit of a page the user has an unread edit notice for
        is counted into it (a busy page makes one notice, and one mail at most)."""
        db = self._db()
        if item.kind == "edit":
            row = db.execute(
                "SELECT id FROM notifications WHERE user_id = ? AND page = ? AND kind = 'edit' "
                "AND read_at IS NULL ORDER BY id DESC LIMIT 1",
                (user_id, item.page),
            ).fetchone()
            if row:
                db.execute(
                    "UPDATE notifications SET count = count + 1, actor = ?, sha = ?, excerpt = ?, "
                    "updated = ? WHERE id = ?",
                    (item.actor, item.sha, item.excerpt, now, row[0]),
                )
                return
        db.execute(
            "INSERT INTO notifications (user_id, kind, page, actor, sha, comment, excerpt, "
            "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                item.kind,
                item.page,
                item.actor,
                item.sha,
                item.comment,
                item.excerpt,
                now,
                now,
            ),
        )

    def notices(
        self, user_id: int, *, unread_only: bool = False, limit: int = 50, offset: int = 0
    ) -> list[Notice]:
        sql = _NOTICE_SELECT + " WHERE user_id = ?"
        if unread_only:
            sql += " AND read_at IS NULL"
        sql += " ORDER BY updated DESC, id DESC LIMIT ? OFFSET ?"
        return [_notice(r) for r in self._db().execute(sql, (user_id, limit, offset))]

    def notices_by_id(self, ids: Iterable[int]) -> list[Notice]:
        ids = list(ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [
            _notice(r)
            for r in self._db().execute(
                _NOTICE_SELECT + f" WHERE id IN ({marks}) ORDER BY updated", ids
            )
        ]

    def unread_count(self, user_id: int) -> int:
        return (
            self._db()
            .execute(
                "SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
                (user_id,),
            )
            .fetchone()[0]
        )

    def mark_read(self, user_id: int, ids: Iterable[int] | None = None, page: str = "") -> None:
        db, now = self._db(), time.time()
        if ids is not None:
            ids = list(ids)
            if ids:
                marks = ",".join("?" * len(ids))
                db.execute(
                    f"UPDATE notifications SET read_at = ? WHERE user_id = ? AND id IN ({marks}) "
                    "AND read_at IS NULL",
                    (now, user_id, *ids),
                )
        elif page:
            db.execute(
                "UPDATE notifications SET read_at = ? WHERE user_id = ? AND page = ? "
                "AND read_at IS NULL",
                (now, user_id, page),
            )
        else:
            db.execute(
                "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL",
                (now, user_id),
            )

    def unmailed(self) -> dict[int, list[Notice]]:
        """Notifications not mailed (nor settled) yet, by user."""
        found: dict[int, list[Notice]] = {}
        for row in self._db().execute(_NOTICE_SELECT + " WHERE mailed_at IS NULL ORDER BY updated"):
            notice = _notice(row)
            found.setdefault(notice.user_id, []).append(notice)
        return found

    def settle(self, ids: Iterable[int], now: float) -> None:
        """Mark notifications as mailed (queued in a mail, or not to be mailed)."""
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            self._db().execute(
                f"UPDATE notifications SET mailed_at = ? WHERE id IN ({marks})", (now, *chunk)
            )

    def prune(self, before: float) -> None:
        """Forget read notifications older than `before` (the watchlist page stays short)."""
        self._db().execute(
            "DELETE FROM notifications WHERE read_at IS NOT NULL AND updated < ?", (before,)
        )

    # -- mail queue ----------------------------------------------------------------------

    def enqueue(self, user_id: int, kind: str, notices: Iterable[int], now: float) -> int:
        cursor = self._db().execute(
            "INSERT INTO mail_queue (user_id, kind, notices, created, next_attempt) "
            "VALUES (?, ?, ?, ?, ?)",
            (user_id, kind, json.dumps(sorted(notices)), now, now),
        )
        return int(cursor.lastrowid or 0)

    def due(self, now: float, limit: int = 50) -> list[QueuedMail]:
        return [
            _mail(r)
            for r in self._db().execute(
                _MAIL_SELECT + " WHERE status = 'queued' AND next_attempt <= ? "
                "ORDER BY next_attempt LIMIT ?",
                (now, limit),
            )
        ]

    def mails(self, *, limit: int = 100, status: str = "") -> list[QueuedMail]:
        sql = _MAIL_SELECT + (" WHERE status = ?" if status else "")
        sql += " ORDER BY id DESC LIMIT ?"
        params = (status, limit) if status else (limit,)
        return [_mail(r) for r in self._db().execute(sql, params)]

    def mail_counts(self) -> dict[str, int]:
        return dict(self._db().execute("SELECT status, count(*) FROM mail_queue GROUP BY status"))

    def mail(self, mail_id: int) -> QueuedMail | None:
        row = self._db().execute(_MAIL_SELECT + " WHERE id = ?", (mail_id,)).fetchone()
        return _mail(row) if row else None

    def mail_sent(self, mail_id: int, subject: str, recipient: str, now: float) -> None:
        self._db().execute(
            "UPDATE mail_queue SET status = 'sent', sent_at = ?, subject = ?, recipient = ?, "
            "attempts = attempts + 1, error = '' WHERE id = ?",
            (now, subject, recipient, mail_id),
        )

    def mail_failed(self, mail_id: int, subject: str, recipient: str, error: str, now: float):
        """One more failed attempt: retried later (1, 2, 4 ... minutes), given up after
        MAX_ATTEMPTS."""
        mail = self.mail(mail_id)
        attempts = (mail.attempts if mail else 0) + 1
        status = "failed" if attempts >= MAX_ATTEMPTS else "queued"
        self._db().execute(
            "UPDATE mail_queue SET attempts = ?, next_attempt = ?, status = ?, error = ?, "
            "subject = ?, recipient = ? WHERE id = ?",
            (
                attempts,
                now + 60 * 2 ** (attempts - 1),
                status,
                error[:500],
                subject,
                recipient,
                mail_id,
            ),
        )

    def mail_dropped(self, mail_id: int, reason: str) -> None:
        self._db().execute(
            "UPDATE mail_queue SET status = 'dropped', error = ? WHERE id = ?", (reason, mail_id)
        )

    def retry(self, mail_id: int, now: float) -> None:
        self._db().execute(
            "UPDATE mail_queue SET status = 'queued', next_attempt = ?, attempts = 0 "
            "WHERE id = ? AND status IN ('failed', 'queued')",
            (now, mail_id),
        )


_NOTICE_SELECT = (
    "SELECT id, user_id, kind, page, actor, sha, comment, excerpt, count, created, updated, "
    "read_at IS NOT NULL, mailed_at IS NOT NULL FROM notifications"
)
_MAIL_SELECT = (
    "SELECT id, user_id, kind, notices, subject, recipient, created, attempts, next_attempt, "
    "status, sent_at, error FROM mail_queue"
)


def _notice(row) -> Notice:
    return Notice(*row[:11], read=bool(row[11]), mailed=bool(row[12]))


def _mail(row) -> QueuedMail:
    values = list(row)
    values[3] = tuple(json.loads(values[3] or "[]"))
    return QueuedMail(*values)


def _profile(row) -> Profile:
    return Profile(
        user_id=row[0],
        mail=row[1],
        auto_watch=bool(row[2]),
        last_digest=row[3],
        listed=bool(row[4]),
        institution=row[5],
        country=row[6],
        working_groups=_split(row[7]),
        languages=_split(row[8]),
        expertise=_split(row[9]),
        about=row[10],
    )


class _Transaction:
    def __init__(self, db) -> None:
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback) -> None:
        self.db.execute("ROLLBACK" if kind else "COMMIT")
