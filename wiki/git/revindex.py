"""A path-to-revisions table in SQLite, kept in step with the git history.

`git log -- PATH` walks the whole history (hundreds of milliseconds on a large
repository); this table answers page history, "last edited by" and recent
changes in well under a millisecond. It is a cache: it lives inside the git
directory, is updated at every commit the wiki makes, catches up with commits
that arrived another way by reading `git log OLD..NEW`, and can always be
rebuilt from git. No Flask imports.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

from ..model import Author
from ..model import Change
from ..model import Revision
from ..sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS commits (
    seq INTEGER PRIMARY KEY,
    sha TEXT NOT NULL UNIQUE,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    ts INTEGER NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    path TEXT NOT NULL,
    old_path TEXT
);
CREATE INDEX IF NOT EXISTS changes_by_path ON changes (path, seq);
CREATE INDEX IF NOT EXISTS changes_by_old_path ON changes (old_path) WHERE old_path IS NOT NULL;
CREATE INDEX IF NOT EXISTS changes_by_seq ON changes (seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    sha TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    via TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_by_account ON accounts (account);
"""
# Which wiki account made a commit is not in git (a git author is whatever the committer
# wrote), so it is kept beside the table in `accounts`, which rebuilding never clears.
_REV_COLUMNS = (
    "c.sha, c.author_name, c.author_email, c.ts, c.message, ch.status, ch.path, ch.old_path, "
    "c.seq, a.account, a.via"
)


# 2: merges are recorded with what they changed on their first parent's branch
FORMAT = "2"
LogReader = Callable[[str], Iterable[tuple[Revision, list[Change]]]]


class RevIndex:
    """The revision table of one repository (shared by every process using it)."""

    def __init__(self, path: Path, read_log: LogReader) -> None:
        self.path = path
        self._read_log = read_log
        self._database = Database(path, schema=_SCHEMA)
        self._connect = self._database.connection
        db = self._connect()
        row = db.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        if row is None or row[0] != FORMAT:
            # read in an older way (merges had no changes): the next catch-up reads it all
            db.execute("DELETE FROM meta WHERE key='head'")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))

    def close(self) -> None:
        self._database.close()

    def head(self) -> str | None:
        row = self._connect().execute("SELECT value FROM meta WHERE key='head'").fetchone()
        return row[0] if row else None

    # -- writing -----------------------------------------------------------------

    def append(self, rev: Revision, parent: str | None, changes: list[Change]) -> bool:
        """Record one new commit whose parent is the recorded head; False if it lagged."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT value FROM meta WHERE key='head'").fetchone()
            if (row[0] if row else None) != parent:
                db.execute("ROLLBACK")
                return False
            self._insert(db, rev, changes)
            if rev.author.account:
                db.execute(
                    "INSERT OR IGNORE INTO accounts VALUES (?, ?, 'web')",
                    (rev.id, rev.author.account),
                )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (rev.id,))
            db.execute("COMMIT")
            return True
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def catch_up(
        self,
        head: str,
        is_ancestor: Callable[[str, str], bool],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Read the commits from the recorded head to `head` (all, if history was rewritten)."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")  # one process catches up; the others wait, then see it done
        try:
            row = db.execute("SELECT value FROM meta WHERE key='head'").fetchone()
            old = row[0] if row else None
            if old == head:
                db.execute("COMMIT")
                return 0
            if old is None or not is_ancestor(old, head):
                db.execute("DELETE FROM changes")
                db.execute("DELETE FROM commits")
                rev_range = head
            else:
                rev_range = f"{old}..{head}"
            count = 0
            for rev, changes in self._read_log(rev_range):
                self._insert(db, rev, changes)
                count += 1
                if progress is not None and count % 500 == 0:
                    progress(count)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (head,))
            db.execute("COMMIT")
            return count
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def rebuild(
        self,
        head: str | None,
        is_ancestor: Callable[[str, str], bool],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Forget everything and read the whole history again."""
        db = self._connect()
        db.execute("DELETE FROM meta WHERE key='head'")
        if head is None:
            db.execute("DELETE FROM changes")
            db.execute("DELETE FROM commits")
            return 0
        return self.catch_up(head, is_ancestor, progress)

    @staticmethod
    def _insert(db: sqlite3.Connection, rev: Revision, changes: list[Change]) -> None:
        cur = db.execute(
            "INSERT OR IGNORE INTO commits (sha, author_name, author_email, ts, message) "
            "VALUES (?, ?, ?, ?, ?)",
            (rev.id, rev.author.name, rev.author.email, int(rev.date.timestamp()), rev.message),
        )
        if cur.rowcount == 0:
            return
        seq = cur.lastrowid
        db.executemany(
            "INSERT INTO changes (seq, status, path, old_path) VALUES (?, ?, ?, ?)",
            [(seq, c.status, c.path, c.old_path) for c in changes],
        )

    def attribute(self, shas: Iterable[str], account: str, via: str) -> None:
        """Record which account brought these commits (a push), unless already known."""
        self._connect().executemany(
            "INSERT OR IGNORE INTO accounts VALUES (?, ?, ?)",
            [(sha, account, via) for sha in shas],
        )

    # -- reading -----------------------------------------------------------------

    def history(
        self, path: str, *, limit: int, offset: int = 0, upto: str | None = None
    ) -> list[Revision]:
        """Revisions of a path, newest first, continuing under the old name across renames
        (only those at or before commit `upto`, when given)."""
        wanted = offset + limit
        found: list[Revision] = []
        for rev in self._follow(path, self._upper(upto)):
            found.append(rev)
            if len(found) >= wanted:
                break
        return found[offset:wanted]

    def last_change(self, path: str, *, upto: str | None = None) -> Revision | None:
        """The newest revision that changed a path, at or before commit `upto` if given."""
        return next(self._follow(path, self._upper(upto)), None)

    def previous_change(self, path: str, sha: str) -> Revision | None:
        """The change of a path's history just before commit `sha` (None: `sha` is its
        first, or not in its history)."""
        found = False
        for rev in self._follow(path, self._upper(sha)):
            if found:
                return rev
            found = rev.id == sha
            if not found:
                return None
        return None

    def change_at(self, path: str, sha: str) -> Revision | None:
        """The change commit `sha` made to the page now at `path`, under the name the page
        had then (following renames back), or None when `sha` did not touch it.

        One indexed query per rename on the way, however long the history is."""
        db = self._connect()
        row = db.execute("SELECT seq FROM commits WHERE sha = ?", (sha,)).fetchone()
        if row is None:
            return None
        target, upper = row[0], 1 << 62
        while True:  # each step goes to an older rename: it ends
            rename = db.execute(
                "SELECT old_path, seq FROM changes WHERE path = ? AND status = 'R' "
                "AND old_path IS NOT NULL AND seq > ? AND seq < ? ORDER BY seq DESC LIMIT 1",
                (path, target, upper),
            ).fetchone()
            if rename is None:
                break
            path, upper = rename
        found = db.execute(
            f"SELECT {_REV_COLUMNS} FROM changes ch "
            "JOIN commits c ON c.seq = ch.seq LEFT JOIN accounts a ON a.sha = c.sha "
            "WHERE ch.path = ? AND ch.seq = ? LIMIT 1",
            (path, target),
        ).fetchone()
        return _revision(found) if found else None

    def _upper(self, upto: str | None) -> int:
        """The bound of `seq` for "at or before commit `upto`" (every commit when unknown)."""
        if upto is None:
            return 1 << 62
        row = self._connect().execute("SELECT seq FROM commits WHERE sha = ?", (upto,)).fetchone()
        return row[0] + 1 if row else 1 << 62

    def _follow(self, path: str, upper: int = 1 << 62) -> Iterator[Revision]:
        # Each rename followed lowers `upper`, so a page renamed back to an old name
        # (A -> B -> A) keeps its whole history and the walk still ends.
        db = self._connect()
        while path:
            rows = db.execute(
                f"SELECT {_REV_COLUMNS} FROM changes ch "
                "JOIN commits c ON c.seq = ch.seq LEFT JOIN accounts a ON a.sha = c.sha "
                "WHERE ch.path = ? AND ch.seq < ? ORDER BY ch.seq DESC",
                (path, upper),
            )
            next_path = None
            for row in rows:
                yield _revision(row)
                if row[5] == "R" and row[7]:
                    next_path, upper = row[7], row[8]
                    break
            path = next_path

    def recent(self, *, limit: int, offset: int = 0, visible=None) -> list[Revision]:
        """The newest commits with the first path each touched.

        With `visible` (path -> bool), only commits that touched a visible path
        count, and each shows its first visible path and how many visible files.
        """
        if visible is None:
            return self._recent_batch(limit, offset, None)
        result: list[Revision] = []
        skip, start, batch = offset, 0, max(100, limit + offset)
        while len(result) < limit:
            found = self._recent_batch(batch, start, visible)
            result_rows = [r for r in found if r is not None]
            drop = min(skip, len(result_rows))
            skip -= drop
            result.extend(result_rows[drop:])
            if len(found) < batch:
                break
            start += batch
            batch = min(batch * 2, 5000)
        return result[:limit]

    def _recent_batch(self, limit: int, offset: int, visible) -> list:
        db = self._connect()
        commits = db.execute(
            "SELECT c.seq, c.sha, c.author_name, c.author_email, c.ts, c.message, a.account, "
            "a.via FROM commits c LEFT JOIN accounts a ON a.sha = c.sha "
            "ORDER BY c.seq DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
        if not commits:
            return []
        by_seq: dict[int, list[tuple[str, str, str | None]]] = {}
        low, high = commits[-1][0], commits[0][0]
        for seq, status, path, old in db.execute(
            "SELECT seq, status, path, old_path FROM changes WHERE seq BETWEEN ? AND ? "
            "ORDER BY rowid",
            (low, high),
        ):
            if visible is None or visible(path):
                by_seq.setdefault(seq, []).append((status, path, old))
        result: list = []
        for seq, sha, name, email, ts, message, account, via in commits:
            changes = by_seq.get(seq, [])
            if visible is not None and not changes:
                result.append(None)  # a commit this reader may not see
                continue
            status, path, old = changes[0] if changes else ("", None, None)
            if old is not None and visible is not None and not visible(old):
                old = None
            result.append(
                _revision(
                    (sha, name, email, ts, message, status, path, old, seq, account, via),
                    files=len(changes),
                )
            )
        return result

    def commits_after(
        self, sha: str, *, limit: int = 200
    ) -> list[tuple[Revision, str | None, list[Change]]] | None:
        """The commits recorded after `sha`, oldest first, each with its first parent (as
        recorded: the commit before it) and its changes; None when `sha` is not in the
        table (another history, or a rebuilt table)."""
        db = self._connect()
        row = db.execute("SELECT seq FROM commits WHERE sha = ?", (sha,)).fetchone()
        if row is None:
            return None
        found = db.execute(
            "SELECT c.seq, c.sha, c.author_name, c.author_email, c.ts, c.message, a.account, "
            "a.via FROM commits c LEFT JOIN accounts a ON a.sha = c.sha WHERE c.seq > ? "
            "ORDER BY c.seq LIMIT ?",
            (row[0], limit),
        ).fetchall()
        result = []
        previous = sha
        for seq, commit, name, email, ts, message, account, via in found:
            changes = [
                Change(status, path, old)
                for status, path, old in db.execute(
                    "SELECT status, path, old_path FROM changes WHERE seq = ? ORDER BY rowid",
                    (seq,),
                )
            ]
            rev = _revision((commit, name, email, ts, message, "", None, None, seq, account, via))
            result.append((rev, previous, changes))
            previous = commit
        return result

    def by_account(self, account: str, *, limit: int, visible=None) -> list[Revision]:
        """The newest changes an account made (through the wiki or a push), one entry per
        commit with its first path that `visible(path)` allows."""
        db = self._connect()
        result: list[Revision] = []
        for seq, sha, name, email, ts, message, acc, via in db.execute(
            "SELECT c.seq, c.sha, c.author_name, c.author_email, c.ts, c.message, a.account, "
            "a.via FROM accounts a JOIN commits c ON c.sha = a.sha WHERE a.account = ? "
            "ORDER BY c.seq DESC LIMIT ?",
            (account, limit * 4),
        ):
            for status, path, old in db.execute(
                "SELECT status, path, old_path FROM changes WHERE seq = ? ORDER BY rowid", (seq,)
            ):
                if visible is None or visible(path):
                    result.append(
                        _revision((sha, name, email, ts, message, status, path, old, seq, acc, via))
                    )
                    break
            if len(result) >= limit:
                break
        return result

    def renamed_to(self, path: str) -> str | None:
        row = (
            self._connect()
            .execute(
                "SELECT path FROM changes WHERE old_path = ? AND status = 'R' "
                "ORDER BY seq DESC LIMIT 1",
                (path,),
            )
            .fetchone()
        )
        return row[0] if row else None

    def count(self) -> int:
        return self._connect().execute("SELECT count(*) FROM commits").fetchone()[0]


def _revision(row: tuple, files: int = 1) -> Revision:
    sha, name, email, ts, message, status, path, old, _seq, account, via = row
    return Revision(
        id=sha,
        author=Author(name, email),
        date=datetime.fromtimestamp(ts, UTC),
        message=message,
        path=path,
        status=status,
        old_path=old,
        files=files,
        account=account or "",
        via=via or "",
    )
