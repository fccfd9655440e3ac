"""The page table: which page links to which, and each page's front matter and headings,
kept in step with `main` at each commit.

No Flask imports. Backlinks are a lookup here instead of a grep through every
page; collections of typed records (wiki/records/) are a query of the front
matter kept here instead of reading every file. The table belongs to one
commit (its `head`); the pages layer brings it forward with the pages a commit
changed, like the revision table, and builds it from scratch when it is
missing, of another version, or reflects another history. Shared by every
process through SQLite (WAL); moving the head is a compare-and-swap, so two
workers catching up at once cannot interleave their changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
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
CREATE TABLE IF NOT EXISTS facts (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    meta TEXT NOT NULL,
    headings TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS facts_by_type ON facts (type);
CREATE INDEX IF NOT EXISTS facts_by_translation ON facts (json_extract(meta, '$.translation_of'));
"""
VERSION = "3"  # a table of another version is built again (it may lack what is kept now)


@dataclass(frozen=True)
class PageFacts:
    """What the table keeps of a page: its links, front matter and headings."""

    links: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)
    headings: tuple[str, ...] = ()


def _row(name: str, facts: PageFacts) -> tuple[str, str, str, str]:
    kind = facts.meta.get("type")
    return (
        name,
        kind if isinstance(kind, str) else "",
        json.dumps(facts.meta, default=str, ensure_ascii=False),
        json.dumps(list(facts.headings), ensure_ascii=False),
    )


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

    def records(
        self, kind: str, where: dict[str, set[str]] | None = None
    ) -> list[tuple[str, dict, list[str]]]:
        """(name, front matter, headings) of every page whose front matter says `type: kind`;
        with `where` (field -> lower-case ASCII values), only pages whose field has one of
        them (itself or in its list). Callers check the values again: this narrows."""
        sql = "SELECT name, meta, headings FROM facts WHERE type = ?"
        params: list = [kind]
        for key, values in (where or {}).items():
            if not key.isidentifier() or not values:
                continue
            marks = ", ".join("?" * len(values))
            path = f"$.{key}"
            sql += (
                f" AND (lower(json_extract(meta, ?)) IN ({marks}) OR EXISTS (SELECT 1 FROM "
                f"json_each(meta, ?) WHERE lower(json_each.value) IN ({marks})))"
            )
            params += [path, *sorted(values), path, *sorted(values)]
        rows = self._connect().execute(sql, params)
        return [(name, json.loads(meta), json.loads(headings)) for name, meta, headings in rows]

    def tagged(self) -> list[tuple[str, list[str]]]:
        """(name, tags) of every page whose front matter has tags."""
        rows = self._connect().execute(
            "SELECT name, json_extract(meta, '$.tags') FROM facts "
            "WHERE json_extract(meta, '$.tags') IS NOT NULL"
        )
        found = []
        for name, raw in rows:
            try:
                value = json.loads(raw)
            except (TypeError, ValueError):
                value = raw  # a single tag as plain text
            tags = value if isinstance(value, list) else [value]
            found.append((name, [str(tag).strip() for tag in tags if str(tag).strip()]))
        return found

    def translated(self) -> set[str]:
        """Every `translation_of` value of the table (the originals that have any)."""
        rows = self._connect().execute(
            "SELECT DISTINCT json_extract(meta, '$.translation_of') FROM facts "
            "WHERE json_extract(meta, '$.translation_of') IS NOT NULL"
        )
        return {str(row[0]) for row in rows}

    def translations(self, key: str) -> list[tuple[str, dict]]:
        """(name, front matter) of the page `key` and of the pages whose `translation_of`
        names it (as written, or as a wikilink); callers check the value again."""
        rows = self._connect().execute(
            "SELECT name, meta FROM facts WHERE name = ? "
            "OR json_extract(meta, '$.translation_of') IN (?, ?)",
            (key, key, f"[[{key}]]"),
        )
        return [(name, json.loads(meta)) for name, meta in rows]

    def having(self, key: str) -> list[tuple[str, dict]]:
        """(name, front matter) of the pages whose front matter has `key` (a plain field
        name, such as `consultation_until`)."""
        if not key.replace("_", "").isalnum():
            raise ValueError("not a plain field name")
        rows = self._connect().execute(
            f"SELECT name, meta FROM facts WHERE json_extract(meta, '$.{key}') IS NOT NULL"
        )
        return [(name, json.loads(meta)) for name, meta in rows]

    def tagged_with(self, tag: str) -> list[str]:
        """The pages with this tag (as written, or in lower case)."""
        wanted = sorted({tag, tag.lower(), tag.casefold()})
        marks = ", ".join("?" * len(wanted))
        rows = self._connect().execute(
            "SELECT DISTINCT facts.name FROM facts, json_each(facts.meta, '$.tags') AS t "
            f"WHERE json_extract(facts.meta, '$.tags') IS NOT NULL AND t.value IN ({marks})",
            wanted,
        )
        return [row[0] for row in rows]

    def type_counts(self) -> dict[str, int]:
        rows = self._connect().execute(
            "SELECT type, COUNT(*) FROM facts WHERE type != '' GROUP BY type"
        )
        return dict(rows)

    def metas(self, pages: Iterable[str]) -> dict[str, dict]:
        """The front matter of these pages (those the table has)."""
        pages = list(pages)
        found: dict[str, dict] = {}
        for start in range(0, len(pages), 500):
            chunk = pages[start : start + 500]
            rows = self._connect().execute(
                f"SELECT name, meta FROM facts WHERE name IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            found.update((name, json.loads(meta)) for name, meta in rows)
        return found

    def targets(self, source: str) -> list[str]:
        """What a page links to (page names, and the paths of files it shows or links)."""
        rows = self._connect().execute("SELECT target FROM links WHERE source = ?", (source,))
        return [row[0] for row in rows]

    def sources(self, target: str) -> list[str]:
        """The pages that link to `target` (an exact, normalized page name)."""
        rows = self._connect().execute(
            "SELECT source FROM links WHERE target = ? AND source != target", (target,)
        )
        return [row[0] for row in rows]

    def update(self, old: str, new: str, pages: dict[str, PageFacts | None]) -> bool:
        """Replace what is kept of these pages (None: the page was deleted) and move the
        head from `old` to `new`; False, changing nothing, when the head is no longer `old`."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            if self._head(db) != old:
                db.execute("ROLLBACK")
                return False
            for source, facts in pages.items():
                db.execute("DELETE FROM links WHERE source = ?", (source,))
                db.execute("DELETE FROM facts WHERE name = ?", (source,))
                if facts is None:
                    continue
                db.executemany(
                    "INSERT OR IGNORE INTO links VALUES (?, ?)",
                    ((target, source) for target in facts.links),
                )
                db.execute("INSERT INTO facts VALUES (?, ?, ?, ?)", _row(source, facts))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (new,))
            db.execute("COMMIT")
            return True
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def replace_all(self, head: str, pages: Iterable[tuple[str, PageFacts]]) -> int:
        """Build the table anew for commit `head`; the old one serves until this commits.
        Returns the number of pages read."""
        pages = list(pages)  # read before locking
        db = self._connect()
        count = 0
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM links")
            db.execute("DELETE FROM facts")
            db.execute("DELETE FROM meta WHERE key IN ('head', 'version')")
            for source, facts in pages:
                db.executemany(
                    "INSERT OR IGNORE INTO links VALUES (?, ?)",
                    ((target, source) for target in facts.links),
                )
                db.execute("INSERT INTO facts VALUES (?, ?, ?, ?)", _row(source, facts))
                count += 1
            db.execute("INSERT INTO meta VALUES ('head', ?)", (head,))
            db.execute("INSERT INTO meta VALUES ('version', ?)", (VERSION,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return count

    @staticmethod
    def _head(db) -> str | None:
        """The commit the table reflects (None: none, or a table of another version)."""
        rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('head', 'version')"))
        return rows.get("head") if rows.get("version") == VERSION else None
