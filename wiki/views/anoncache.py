"""Whole page views kept for readers without an account.

A reader with no session and no account gets exactly the same HTML for a page
as long as neither `main` nor the access configuration changed, so that HTML
is kept per worker under (HEAD, access version, page name) and served again
without reading or drawing anything. Anything personal keeps it out: a
session cookie (flash messages, a login in progress), a signed-in user, a
query string, an answer other than 200, or an answer that sets a cookie. An
entry is stored only when HEAD did not move while the page was drawn, so the
key and the text always come from the same commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import current_app
from flask import request
from flask_login import current_user

from ..app import services
from ..i18n import ui_language

MAX_ENTRIES = 4096  # and at most MAX_BYTES: about 1,500 pages of 11 KB
MAX_BYTES = 16 << 20


class PageCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self._entries: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._max_entries, self._max_bytes = max_entries, max_bytes
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: tuple, body: bytes) -> None:
        if len(body) > self._max_bytes // 8:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._bytes -= len(old) if old else 0
            self._entries[key] = body
            self._bytes += len(body)
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped)


def key_for(name: str) -> tuple | None:
    """The cache key of this request's view of page `name`, or None: not cacheable."""
    if request.args or request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]):
        return None
    if current_user.is_authenticated:
        return None
    head = services().pages.head()
    if head is None:
        return None
    return (head, services().spaces.version(), ui_language(), name)


def cache() -> PageCache:
    found = services().page_cache
    if found is None:
        found = services().page_cache = PageCache()
    return found
