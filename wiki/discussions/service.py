"""Discussions of pages and consultations: reading a page's comments, adding, editing and
hiding one (each a commit that appends to the page's discussion file).

Plain Python, no Flask: who may comment or hide is decided by the access policy
(wiki/access/policy.py) and asked by the views; this service checks what holds for
everybody (the page exists, the consultation is open, the text is acceptable, only the
author edits and only for a while).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from ..errors import N_
from ..errors import InvalidContent
from ..errors import PageNotFound
from ..errors import PermissionDenied
from ..model import Author
from ..pages import names
from . import thread
from .thread import Comment
from .thread import Entry

MAX_COMMENT_CHARS = 20_000
CONSULTATION_FIELD = "consultation_until"


@dataclass(frozen=True)
class Consultation:
    """A page open for comments until the end of a day (UTC)."""

    until: dt.date

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or datetime.now(UTC)
        return now.astimezone(UTC).date() <= self.until


def consultation_of(meta: dict) -> Consultation | None:
    """The consultation a page's front matter declares (`consultation_until: 2026-06-30`)."""
    value = meta.get(CONSULTATION_FIELD)
    if isinstance(value, datetime):
        return Consultation(value.date())
    if isinstance(value, dt.date):
        return Consultation(value)
    if isinstance(value, str):
        try:
            return Consultation(dt.date.fromisoformat(value.strip()[:10]))
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Thread:
    """A page's discussion as read at one commit."""

    comments: list[Comment]
    count: int  # comments shown (not hidden)
    people: int  # distinct authors of them
    blob: str | None  # the discussion file's blob at that commit (None: no file)


EMPTY = Thread([], 0, 0, None)


class Discussions:
    def __init__(self, wiki) -> None:
        self.wiki = wiki
        self.storage = wiki.storage
        self._parsed: OrderedDict[str, list[Entry]] = OrderedDict()
        self._lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------

    def thread(self, name: str, at: str | None = None) -> Thread:
        """The discussion of page `name` at commit `at` (default HEAD): read at the same
        commit as the page it is shown with."""
        path = names.discussion_path(name)
        files = self.storage.files_at(at if at is not None else self.storage.head())
        blob = files.get(path)
        if blob is None:
            return EMPTY
        top = thread.comments(self.entries(blob))
        shown, people = thread.count(top)
        return Thread(top, shown, people, blob)

    def entries(self, blob: str) -> list[Entry]:
        """The parsed entries of a discussion file's blob (kept: blobs never change)."""
        with self._lock:
            found = self._parsed.get(blob)
            if found is not None:
                self._parsed.move_to_end(blob)
                return found
        found = thread.parse(self.storage.read_blob(blob))
        with self._lock:
            self._parsed[blob] = found
            while len(self._parsed) > 256:
                self._parsed.popitem(last=False)
        return found

    def entries_at(self, path: str, commit: str | None) -> list[Entry]:
        """The entries of a discussion file in a commit (none where it does not exist)."""
        if commit is None:
            return []
        blob = self.storage.files_at(commit).get(path)
        return self.entries(blob) if blob else []

    # -- writing ----------------------------------------------------------------------

    def add(
        self,
        name: str,
        body: str,
        *,
        author: Author,
        reply_to: str = "",
        now: datetime | None = None,
    ) -> str:
        """Add a comment (or a reply to comment `reply_to`) as one commit; its id.

        :raises PageNotFound, InvalidContent, PermissionDenied (consultation closed):
        """
        name = self._existing(name)
        body = self._checked(body)
        self._check_open(name, now)
        ident = thread.new_id()
        when = now or datetime.now(UTC)

        def change(current: str | None) -> str:
            if reply_to:
                target = thread.find(thread.comments(thread.parse(current or "")), reply_to)
                if target is None:
                    raise InvalidContent(N_("The comment you answered is not there any more."))
                if target.hidden:
                    raise InvalidContent(N_("The comment you answered was hidden."))
            kind = "reply" if reply_to else "comment"
            entry = Entry(kind, ident, author.account, when, body, reply_to)
            return thread.appended(current, entry, name)

        kind = "Reply" if reply_to else "Comment"
        self._append(name, change, author, f"{kind} on {name}")
        return ident

    def edit(
        self, name: str, ident: str, body: str, *, author: Author, now: datetime | None = None
    ) -> None:
        """Change one's own comment (within thread.EDIT_WINDOW) as a new entry.

        :raises PageNotFound, InvalidContent, PermissionDenied:
        """
        name = self._existing(name)
        body = self._checked(body)
        when = now or datetime.now(UTC)

        def change(current: str | None) -> str | None:
            target = thread.find(thread.comments(thread.parse(current or "")), ident)
            if target is None:
                raise PageNotFound(N_("There is no such comment."))
            if not target.editable_by(author.account, when):
                raise PermissionDenied(
                    N_("Only its author may change a comment, and only for a day after writing it.")
                )
            if target.body.strip() == body.strip():
                return None
            return thread.appended(current, Entry("edit", ident, author.account, when, body), name)

        self._append(name, change, author, f"Edit a comment on {name}")

    def hide(
        self, name: str, ident: str, reason: str, *, author: Author, now: datetime | None = None
    ) -> None:
        """Hide a comment with a reason (moderators; the views check who). Its text stays
        in the file and in history.

        :raises PageNotFound, InvalidContent:
        """
        name = self._existing(name)
        reason = " ".join((reason or "").split())[:500]
        if not reason:
            raise InvalidContent(N_("Say why the comment is hidden."))
        when = now or datetime.now(UTC)

        def change(current: str | None) -> str | None:
            target = thread.find(thread.comments(thread.parse(current or "")), ident)
            if target is None:
                raise PageNotFound(N_("There is no such comment."))
            if target.hidden:
                return None
            return thread.appended(
                current, Entry("hide", ident, author.account, when, reason), name
            )

        self._append(name, change, author, f"Hide a comment on {name}")

    # -- helpers ------------------------------------------------------------------------

    def _existing(self, name: str) -> str:
        name = names.normalize(name)
        found = self.wiki.canonical(name)
        if found is None:
            raise PageNotFound(N_("There is no page called '%(name)s'."), name=name)
        return found

    def _checked(self, body: str) -> str:
        body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        if not body:
            raise InvalidContent(N_("The comment is empty."))
        if "\x00" in body:
            raise InvalidContent(N_("The text contains a NUL character, which a page cannot hold."))
        if len(body) > MAX_COMMENT_CHARS:
            raise InvalidContent(
                N_("The comment is too long (at most %(max)s characters)."), max=MAX_COMMENT_CHARS
            )
        return body

    def _check_open(self, name: str, now: datetime | None) -> None:
        page = self.wiki.page(name)
        consultation = consultation_of(page.meta)
        if consultation is not None and not consultation.is_open(now):
            raise PermissionDenied(
                N_("The consultation on this page closed on %(date)s: comments are closed."),
                date=consultation.until.isoformat(),
            )

    def _append(self, name: str, change, author: Author, message: str) -> None:
        if not author.account:
            raise PermissionDenied(N_("Please log in to continue."))
        self.storage.update(names.discussion_path(name), change, author=author, message=message)
        self.wiki._committed()


def body_key(body: str) -> str:
    """A cache key for the drawn HTML of a comment's text."""
    return "comment:" + hashlib.sha1(body.encode("utf-8")).hexdigest()
