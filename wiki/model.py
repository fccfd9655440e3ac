"""Values that cross layers: who made a change, and what a revision is. No Flask imports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

_IDENT_BAD = re.compile(r"[<>\n\r\x00]")


@dataclass(frozen=True)
class Author:
    """A git identity (name and e-mail, which anyone pushing can write as they like) and,
    for changes made through the wiki, the account that made them (never part of git)."""

    name: str
    email: str
    account: str = ""

    def __post_init__(self) -> None:
        # git identities cannot contain angle brackets or newlines.
        object.__setattr__(self, "name", _IDENT_BAD.sub("", self.name).strip() or "Anonymous")
        object.__setattr__(self, "email", _IDENT_BAD.sub("", self.email).strip())


@dataclass(frozen=True)
class Change:
    status: str  # A added, M modified, D deleted, R renamed (from old_path)
    path: str
    old_path: str | None = None


@dataclass(frozen=True)
class Revision:
    id: str
    author: Author
    date: datetime
    message: str
    path: str | None = None  # the page's path in this revision (history entries)
    status: str = ""  # A, M, D or R: what happened to `path`
    old_path: str | None = None  # for renames
    merged_with: tuple[str, ...] = field(default=())  # authors whose edits were merged in
    files: int = 1  # how many files the commit touched (recent changes)
    account: str = ""  # the wiki account that saved or pushed it ("" when unknown)
    via: str = ""  # "web" (saved in the wiki), "push" (git push) or "" (unknown)

    @property
    def short(self) -> str:
        return self.id[:8]

    @property
    def summary(self) -> str:
        return self.message.strip().split("\n", 1)[0]
