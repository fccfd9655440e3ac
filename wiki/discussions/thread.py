"""The discussion file of a page: an append-only log of comments, pure text <-> entries.

A page `WG4/Foo.md` has its discussion in `WG4/Foo.discussion.md` (wiki/pages/names.py),
plain Markdown that reads well in a clone. Each entry starts with one header line, an
HTML comment that Markdown viewers do not show, and its body follows until the next
header:

    <!-- comment id=k3j9x2qa by=maria at=2026-12-04T07:40:00Z -->
    The text of the comment, in Markdown.

    <!-- reply id=p0q1r2st to=k3j9x2qa by=nikos at=2026-12-04T08:00:00Z -->
    <!-- edit id=k3j9x2qa by=maria at=2026-12-04T07:45:00Z -->   (the new text)
    <!-- hide id=p0q1r2st by=admin at=2026-12-04T09:00:00Z -->   (the reason)

The wiki only ever appends: an edit or a hiding is a new entry, so every version of
every comment stays in the file and in git. No Flask imports.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime

KINDS = ("comment", "reply", "edit", "hide")
PREAMBLE = (
    "<!-- The discussion of the page {page}, kept by the wiki: each entry begins with a "
    "line like the ones below; the wiki only appends. -->\n"
)
_HEADER = re.compile(r"^<!-- (comment|reply|edit|hide)((?: [a-z]+=[^\s>]+)*) -->$")
_ATTR = re.compile(r" ([a-z]+)=([^\s>]+)")
_ID = re.compile(r"^[a-z0-9]{6,16}$")
_USER = re.compile(r"^[\w.\-]{1,40}$", re.UNICODE)
# "@maria" or "@maria.k", not e-mail addresses ("a@b.org") nor "@@"
MENTION = re.compile(r"(?<![\w@./])@([\w][\w.\-]{1,39})", re.UNICODE)
EDIT_WINDOW = 24 * 3600  # seconds during which an author may edit a comment


@dataclass(frozen=True)
class Entry:
    kind: str  # comment | reply | edit | hide
    id: str  # the comment it is (comment, reply) or acts on (edit, hide)
    by: str  # the account name
    at: datetime
    body: str
    to: str = ""  # a reply: the comment answered


@dataclass
class Comment:
    """A comment as shown: its latest text, and its replies (one level)."""

    id: str
    by: str
    at: datetime
    body: str
    to: str = ""
    edited: datetime | None = None
    hidden_by: str = ""
    hidden_reason: str = ""
    replies: list[Comment] = field(default_factory=list)

    @property
    def hidden(self) -> bool:
        return bool(self.hidden_by)

    def editable_by(self, username: str, now: datetime | None = None) -> bool:
        """Its author may change it during EDIT_WINDOW, unless it was hidden."""
        now = now or datetime.now(UTC)
        return (
            not self.hidden
            and self.by.casefold() == username.casefold()
            and (now - self.at).total_seconds() <= EDIT_WINDOW
        )


def new_id() -> str:
    return "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))


def parse(text: str) -> list[Entry]:
    """The entries of a discussion file, in order; lines that are no entry header belong
    to the body before them (text before the first header is ignored)."""
    entries: list[Entry] = []
    current: dict | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            entry = _entry(current, "\n".join(body).strip("\n"))
            if entry is not None:
                entries.append(entry)

    for line in text.replace("\r\n", "\n").split("\n"):
        match = _HEADER.match(line)
        if match:
            close()
            current = {"kind": match.group(1), **dict(_ATTR.findall(match.group(2)))}
            body = []
        elif current is not None:
            body.append(line)
    close()
    return entries


def _entry(attrs: dict, body: str) -> Entry | None:
    """An entry from its header's attributes, or None when they are not well formed
    (a hand-edited file: such an entry is skipped, never an error)."""
    kind, ident, by, at = attrs["kind"], attrs.get("id", ""), attrs.get("by", ""), attrs.get("at")
    if not _ID.match(ident) or not _USER.match(by) or not at:
        return None
    try:
        when = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    to = attrs.get("to", "")
    if kind == "reply" and not _ID.match(to):
        return None
    return Entry(kind, ident, by, when, body, to)


def serialize(entry: Entry) -> str:
    """The text of one entry (header and body), ending in a blank line. A body line that
    would read as a header is indented by a space (in Markdown still a hidden comment)."""
    if entry.kind not in KINDS or not _ID.match(entry.id) or not _USER.match(entry.by):
        raise ValueError("not a well-formed discussion entry")
    at = entry.at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    to = f" to={entry.to}" if entry.kind == "reply" else ""
    lines = [
        " " + line if _HEADER.match(line) else line
        for line in entry.body.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    ]
    return f"<!-- {entry.kind} id={entry.id}{to} by={entry.by} at={at} -->\n" + (
        "\n".join(lines) + "\n\n"
    )


def appended(text: str | None, entry: Entry, page: str) -> str:
    """The file's text with `entry` added at the end (a new file gets a first line that
    says what it is)."""
    text = text or PREAMBLE.format(page=page) + "\n"
    if not text.endswith("\n"):
        text += "\n"
    if not text.endswith("\n\n"):
        text += "\n"
    return text + serialize(entry)


def comments(entries: list[Entry]) -> list[Comment]:
    """The comments of a discussion as shown: each with its latest text (edits by its
    own author only), hidden ones marked, replies under the comment they answer (a reply
    to a reply goes under the same comment), oldest first."""
    by_id: dict[str, Comment] = {}
    top: list[Comment] = []
    for entry in entries:
        if entry.kind in ("comment", "reply"):
            if entry.id in by_id:
                continue  # the same id twice (a hand-edited file): the first one counts
            comment = Comment(entry.id, entry.by, entry.at, entry.body, entry.to)
            parent = by_id.get(entry.to) if entry.kind == "reply" else None
            while parent is not None and parent.to and parent.to in by_id:
                parent = by_id[parent.to]
            by_id[entry.id] = comment
            if parent is not None:
                parent.replies.append(comment)
            else:
                top.append(comment)
        elif entry.kind == "edit":
            target = by_id.get(entry.id)
            if target is not None and target.by.casefold() == entry.by.casefold():
                target.body, target.edited = entry.body, entry.at
        elif entry.kind == "hide":
            target = by_id.get(entry.id)
            if target is not None and not target.hidden:
                target.hidden_by, target.hidden_reason = entry.by, entry.body.strip()
    return top


def find(top: list[Comment], ident: str) -> Comment | None:
    for comment in top:
        if comment.id == ident:
            return comment
        for reply in comment.replies:
            if reply.id == ident:
                return reply
    return None


def count(top: list[Comment]) -> tuple[int, int]:
    """(comments shown, distinct people who wrote them), hidden ones left out."""
    shown = [c for t in top for c in (t, *t.replies) if not c.hidden]
    return len(shown), len({c.by.casefold() for c in shown})


def mentions(text: str) -> set[str]:
    """The account names `@mentioned` in a text (outside code spans and blocks)."""
    text = re.sub(r"```.*?```|~~~.*?~~~", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", text)
    return {m.rstrip(".-") for m in MENTION.findall(text) if len(m.rstrip(".-")) >= 2}


def with_body(entry: Entry, body: str) -> Entry:
    return replace(entry, body=body)
