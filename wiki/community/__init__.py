"""The community around the pages: watching, notifications (in the wiki and by mail),
and the people directory. Its data lives in the accounts database
(wiki/community/store.py); comments themselves live in git (wiki/discussions/)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .follow import Follower
from .mailing import Mailer
from .store import CommunityStore

log = logging.getLogger(__name__)
LEASE = 120.0  # seconds one process keeps the mail round to itself


class Community:
    """The store, the follower (commits -> notifications) and the mailer of one app, and
    the background round that runs them (started by the first request of a serving
    process when NOTIFY_INTERVAL > 0)."""

    def __init__(
        self,
        path: Path,
        *,
        storage,
        discussions,
        users,
        access: Callable,
        config: Mapping[str, Any],
    ) -> None:
        self.store = CommunityStore(path)
        self.users = users
        self.config = config
        self.follower = Follower(storage, discussions, users, access, self.store)
        self.base_url = str(config.get("BASE_URL") or "").rstrip("/")
        self.mailer = Mailer(
            self.store, users, access, config, lambda: self.base_url or "http://localhost"
        )
        self.interval = float(config.get("NOTIFY_INTERVAL") or 0)
        self._owner = f"{os.getpid()}-{id(self)}"
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._started_in: int | None = None

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(10.0)
        self.store.close()

    def learn_base_url(self, url_root: str) -> None:
        """Links in mail need the wiki's address: BASE_URL, else the first request's."""
        if not self.base_url:
            self.base_url = url_root.rstrip("/")

    def catch_up(self) -> None:
        """Notifications up to HEAD (cheap when nothing new came)."""
        try:
            self.follower.catch_up()
        except Exception:
            log.exception("notifications could not catch up")

    def run_once(self, now: float | None = None) -> tuple[int, int, int]:
        """One round: follow new commits, queue what is due, send what is queued
        (the last two by one process at a time). (notices, queued, sent)."""
        made = self.follower.catch_up(now)
        if not self.store.take_lease(self._owner, LEASE, now):
            return made, 0, 0
        queued = self.mailer.schedule(now)
        sent = self.mailer.send_due(now)
        if now is None:
            self.store.prune(time.time() - 90 * 86400)
        return made, queued, sent

    # -- the background round ------------------------------------------------------------

    def start(self) -> None:
        if self.interval <= 0 or self._started_in == os.getpid():
            return
        self._started_in = os.getpid()  # a forked worker starts its own
        self._thread = threading.Thread(target=self._loop, name="notifications", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A commit was made here: follow it soon (the bell of other readers)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                log.exception("the notification round failed")
            self._wake.wait(self.interval)
            if self._wake.is_set():
                self._wake.clear()
                self._stop.wait(1.0)  # a burst of saves: one round
