"""Mirroring the content to another git server (UPSTREAM_URL), both ways.

Every commit is pushed upstream soon after it is made (in the background, so a
save never waits for the network). Changes made upstream are fetched on a
webhook and on a timer and merged like web saves; where a page cannot be merged
both versions are kept and the conflict is listed for administrators, so
syncing never stops for good. The state (last sync, last error, open conflicts)
is kept in `<content>/wiki/mirror.json`, shared by all workers. No Flask imports.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

from ..locks import exclusive
from ..model import Author
from ..sqlite import Database
from .merge import MergeResult
from .storage import Storage

log = logging.getLogger(__name__)
SYNC_AUTHOR = Author("Upstream sync", "wiki@localhost")
FETCHED = "refs/wiki/upstream"


class Mirror:
    def __init__(
        self, storage: Storage, url: str, *, branch: str = "main", interval: int = 300
    ) -> None:
        self.storage = storage
        self.url = url
        self.branch = branch
        self.interval = interval
        self.state_path = storage.git_dir / "wiki" / "mirror.json"
        self._wake = threading.Event()
        self._pull_wanted = False
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- the background worker -------------------------------------------------------

    def start(self) -> None:
        """Start the worker: it pushes after commits and pulls every `interval` seconds."""
        if self._thread is not None:
            return
        with self._start_lock:  # two first requests at once start one worker
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="mirror", daemon=True)
                thread.start()
                self._thread = thread

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def push_soon(self) -> None:
        """Ask the worker to push the branch upstream (several asks make one push)."""
        self._idle.clear()
        self._wake.set()
        self.start()

    def sync_soon(self) -> None:
        """Ask the worker to pull from upstream (and push) once; several asks make one."""
        self._pull_wanted = True
        self.push_soon()

    def synced_within(self, seconds: float) -> bool:
        """Whether a sync finished less than `seconds` ago (any process)."""
        last = self.state().get("last_sync")
        if not last or seconds <= 0:
            return False
        return (datetime.now(UTC) - datetime.fromisoformat(last)).total_seconds() < seconds

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until no push is pending (tests, shutdown)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        next_pull = time.monotonic() + self.interval if self.interval else None
        while not self._stopped.is_set():
            timeout = None if next_pull is None else max(0.0, next_pull - time.monotonic())
            woken = self._wake.wait(timeout)
            self._wake.clear()
            if self._stopped.is_set():
                break
            try:
                if woken and not self._pull_wanted:
                    self.push()
                else:
                    self._pull_wanted = False
                    self.sync()
            except Exception:  # never let the worker die: the next round tries again
                log.exception("mirroring to %s failed", self.url)
            if not woken and self.interval:
                next_pull = time.monotonic() + self.interval
            if not self._wake.is_set():
                self._idle.set()

    # -- the work --------------------------------------------------------------------

    def push(self) -> bool:
        """Push the branch upstream; when upstream moved on, merge it first and retry."""
        with self._lock:
            ok, error = self._push()
            if not ok and _rejected(error):
                self._sync_locked()
                ok, error = self._push()
            self._record(pushed=ok, error=None if ok else error)
            return ok

    def sync(self) -> MergeResult | None:
        """Fetch upstream, merge it into the branch, push the result back."""
        with self._lock:
            return self._sync_locked()

    def _sync_locked(self) -> MergeResult | None:
        proc = self._git("fetch", "--no-tags", self.url, f"+refs/heads/{self.branch}:{FETCHED}")
        if proc.returncode != 0:
            message = proc.stderr.strip()
            if "couldn't find remote ref" in message:  # an empty upstream: just push
                ok, error = self._push()
                self._record(synced=True, pushed=ok, error=None if ok else error)
                return None
            self._record(error=f"fetch failed: {message[-500:]}")
            return None
        theirs = self._git("rev-parse", FETCHED).stdout.strip()
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H%M")
        result = self.storage.merge_from(
            theirs, author=SYNC_AUTHOR, conflict_suffix=f"(upstream conflict {stamp})"
        )
        if result.conflicts:
            log.warning("upstream sync kept both versions of %s", result.conflicts)
        ok, error = (
            (True, None) if result.how == "up to date" and result.head == theirs else (self._push())
        )
        self._record(
            synced=True, pushed=ok, error=None if ok else error, conflicts=result.conflicts
        )
        return result

    def _push(self) -> tuple[bool, str]:
        if self.storage.head() is None:
            return True, ""
        proc = self._git(
            "push", "--porcelain", self.url, f"refs/heads/main:refs/heads/{self.branch}"
        )
        return proc.returncode == 0, (proc.stderr + proc.stdout).strip()[-500:]

    def _git(self, *args: str) -> subprocess.CompletedProcess:
        proc = self.storage.git.run(*args, timeout=300)
        return subprocess.CompletedProcess(
            proc.args,
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )

    # -- what admins see -------------------------------------------------------------

    def state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except (FileNotFoundError, ValueError):
            return {"conflicts": []}

    def dismiss(self, path: str) -> None:
        """Forget an open conflict (an admin has looked at both versions)."""
        self._update(
            lambda state: state.update(
                conflicts=[c for c in state.get("conflicts", []) if c["path"] != path]
            )
        )

    def _record(
        self,
        *,
        synced: bool = False,
        pushed: bool | None = None,
        error: str | None = None,
        conflicts=(),
    ) -> None:
        now = datetime.now(UTC).isoformat(timespec="seconds")

        def change(state: dict) -> None:
            if synced:
                state["last_sync"] = now
            if pushed:
                state["last_push"] = now
            state["last_error"] = error
            if error:
                state["last_error_at"] = now
            for path, kept in conflicts:
                state.setdefault("conflicts", []).append(
                    {"path": path, "kept_as": kept, "date": now}
                )

        self._update(change)

    def _update(self, change) -> None:
        with exclusive(self.state_path.with_suffix(".lock")):
            state = self.state()
            change(state)
            tmp = self.state_path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(state, indent=1))
            tmp.replace(self.state_path)


def _rejected(error: str) -> bool:
    return any(word in error for word in ("rejected", "non-fast-forward", "fetch first"))


def check_url(url: str) -> str | None:
    """A problem with an UPSTREAM_URL, or None."""
    if url.startswith("-"):
        return "UPSTREAM_URL must not start with '-'"
    if not (
        url.startswith(("http://", "https://", "ssh://", "git@", "file://", "/"))
        or Path(url).exists()
    ):
        return "UPSTREAM_URL must be an http(s), ssh or file URL or a path"
    return None


class Deliveries:
    """Webhook calls seen in the last day (shared by every process through SQLite), so
    that a signed call replayed by someone who saw it runs nothing."""

    WINDOW = 24 * 3600

    def __init__(self, path: Path) -> None:
        self._database = Database(
            Path(path),
            schema=("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL);"),
        )

    def close(self) -> None:
        self._database.close()

    def first_time(self, key: str) -> bool:
        """Record `key`; False when it was seen within the window."""
        db = self._database.connection()
        now = time.time()
        db.execute("DELETE FROM seen WHERE at < ?", (now - self.WINDOW,))
        cursor = db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (key, now))
        return cursor.rowcount == 1
