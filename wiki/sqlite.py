"""One SQLite connection per thread for a database file (WAL, shared by processes).

No Flask imports. SQLite connections cannot cross threads, and opening one per
call costs more than the queries it serves.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class Database:
    def __init__(
        self, path: Path, *, schema: str, timeout: float = 30.0, synchronous: str = "NORMAL"
    ) -> None:
        self.path = Path(path)
        self._timeout = timeout
        self._synchronous = synchronous
        self._local = threading.local()
        self.connection().executescript(schema)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; use BEGIN for transactions)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=self._timeout, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self._synchronous}")
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
