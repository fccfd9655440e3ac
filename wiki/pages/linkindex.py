"""The link table: which page links to which, kept in step with `main` at each commit.

No Flask imports. Backlinks are a lookup here instead of a grep through every
page. The table belongs to one commit (its `head`); the pages layer brings it
forward with the pages a commit changed, like the revision table, and builds
it from scratch when it is missing or reflects another history. Shared by
every process through SQLite (WAL); moving the head is a compare-and-swap, so
two workers catching up at once cannot interleave their changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..sqlite import Database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    target TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (target, source)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_by_source ON links (source);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class LinkIndex:
    """Outgoing links of the pages of one commit: source page name -> target page name."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._database = Database(self.path, schema=_SCHEMA)
        self._connect = self._database.connection

    def close(self) -> None:
        self._database.close()

    def head(self) -> str | None:
        return self._head(self._connect())

    def sources(self, target: str) -> list[str]:
        """The pages that link to `target` (an exact, normalized page name)."""
        rows = self._connect().execute(
            "SELECT source FROM links WHERE target = ? AND source != target", (target,)
        )
        return [row[0] for row in rows]

    def update(self, old: str, new: str, pages: dict[str, Iterable[str]]) -> bool:
        """Replace the links of these pages (none for a deleted page) and move the head
        from `old` to `new`; False, changing nothing, when the head is no longer `old`."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            if self._head(db) != old:
                db.execute("ROLLBACK")
                return False
            for source, targets in pages.items():
                db.execute("DELETE FROM links WHERE source = ?", (source,))
                db.executemany(
                    "INSERT OR IGNORE INTO links VALUES (?, ?)",
                    ((target, source) for target in targets),
                )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (new,))
            db.execute("COMMIT")
            return True
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def replace_all(self, head: str, pages: Iterable[tuple[str, Iterable[str]]]) -> int:
        """Build the table anew for commit `head`; the old one serves until this commits.
        Returns the number of pages read."""
        pages = [(source, tuple(targets)) for source, targets in pages]  # read before locking
        db = self._connect()
        count = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM links")
            db.execute("DELETE FROM meta WHERE key='head'")
            for source, targets in pages:
                db.executemany(
                    "INSERT OR IGNORE INTO links VALUES (?, ?)",
                    ((target, source) for target in targets),
                )
                count += 1
            db.execute("INSERT INTO meta VALUES ('head', ?)", (head,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return count

    @staticmethod
    def _head(db) -> str | None:
        row = db.execute("SELECT value FROM meta WHERE key='head'").fetchone()
        return row[0] if row else None
