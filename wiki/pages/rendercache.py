"""Rendered pages kept in SQLite, shared by every worker process and kept across restarts.

Rendering Markdown costs milliseconds; reading a stored result costs tens of
microseconds. Entries are keyed by the page's blob sha and name (the same
text can render differently under another name: relative links), plus the
renderer version, so they never go stale by edits. Whether each link target
exists is stored too: the caller re-renders when that changed. It is a cache:
delete the file at any time. No Flask imports.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from markupsafe import Markup

from ..sqlite import Database
from .render import Heading
from .render import Rendered

# Bump when rendering output changes, so old entries are ignored.
RENDER_VERSION = "5"  # 4: ids prefixed, classes filtered; 5: own title dropped loosely
MAX_ROWS = 50_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS renders (
    key TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
"""


class RenderCache:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._writes = 0
        # synchronous=OFF: an entry lost in a crash is only rendered again
        self._database = Database(self.path, schema=_SCHEMA, timeout=10, synchronous="OFF")
        self._db = self._database.connection

    def close(self) -> None:
        self._database.close()

    @staticmethod
    def _key(blob: str, name: str) -> str:
        return f"{RENDER_VERSION}:{blob}:{name}"

    def get(self, blob: str, name: str) -> tuple[Rendered, tuple] | None:
        """A stored rendering and its link signature ((target, existed), ...), if any."""
        try:
            row = (
                self._db()
                .execute("SELECT data FROM renders WHERE key = ?", (self._key(blob, name),))
                .fetchone()
            )
        except sqlite3.Error:
            return None
        if row is None:
            return None
        data = json.loads(row[0])
        rendered = Rendered(
            html=Markup(data["html"]),
            title=data["title"],
            meta=data["meta"],
            toc=[Heading(*h) for h in data["toc"]],
            links=data["links"],
            text=data["text"],
        )
        return rendered, tuple((link, existed) for link, existed in data["sig"])

    def put(self, blob: str, name: str, rendered: Rendered, sig: tuple) -> None:
        data = json.dumps(
            {
                "html": str(rendered.html),
                "title": rendered.title,
                "meta": rendered.meta,
                "toc": [[h.level, h.text, h.id] for h in rendered.toc],
                "links": rendered.links,
                "text": rendered.text,
                "sig": [list(s) for s in sig],
            },
            ensure_ascii=False,
            default=str,
        )
        try:
            db = self._db()
            db.execute(
                "INSERT OR REPLACE INTO renders (key, data) VALUES (?, ?)",
                (self._key(blob, name), data),
            )
            self._writes += 1
            if self._writes % 1000 == 0:
                db.execute(
                    "DELETE FROM renders WHERE rowid <= (SELECT max(rowid) FROM renders) - ?",
                    (MAX_ROWS,),
                )
        except sqlite3.Error:
            pass  # a busy or read-only cache must never break a page view
