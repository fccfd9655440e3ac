"""Who may read and write which page: the access policy, pure.

A space is a top-level folder of the content (`WG4`, `Public`). Its read policy
is `anonymous`, `registered` or `members`; its write policy `members` (only its
members) or `editors` (its members and everyone with the editor role). Members
are users or groups (for example one group per partner organisation). Pages
outside every space follow the wiki-wide default: READ_ACCESS for reading,
the editor role for writing. Administrators may do everything everywhere.

`Access` is an immutable snapshot of the configuration (kept by
wiki/access/spaces.py): the only place where a permission is decided; the web views,
the API, search and the git push check all ask it (through auth.can() or
directly). No Flask imports, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..pages import names
from .identity import name_key

READ_POLICIES = ("anonymous", "registered", "members")
WRITE_POLICIES = ("members", "editors")
# who may comment on the pages of a space (among those who may read them)
COMMENT_POLICIES = ("registered", "members")
MEMBER_KINDS = ("user", "group")


@dataclass(frozen=True)
class Who:
    """Whom a decision is about: a user name ("" when anonymous) and a role."""

    username: str = ""
    role: str = "anonymous"  # anonymous | reader | editor | admin
    # authenticated by a read-only token: may read what the account may, never write
    read_only: bool = False
    # another active account's name has the same identity key (an old database): neither
    # gets membership through that name until an administrator disables all but one
    ambiguous: bool = False

    @property
    def registered(self) -> bool:
        return self.role != "anonymous"

    @property
    def key(self) -> str:
        """The identity key of the user name, which memberships are compared by."""
        return name_key(self.username)


ANONYMOUS = Who()


@dataclass(frozen=True)
class Space:
    name: str
    title: str
    description: str
    read: str
    write: str
    users: frozenset[str]  # identity keys of the member users
    groups: frozenset[str]  # identity keys of the member groups
    members: tuple[tuple[str, str], ...]  # (kind, name) as entered, for display
    comment: str = "registered"  # registered readers, or members only


@dataclass(frozen=True)
class ReadRule:
    """Which pages someone may read, by their space: every page (`everything`), pages
    outside every space (`outside`), and the pages of the `spaces` (but not `hidden`)."""

    everything: bool
    outside: bool
    spaces: tuple[str, ...]
    hidden: tuple[str, ...]


class Access:
    """Who may read and write which page: one snapshot of the space configuration."""

    def __init__(
        self,
        spaces: Iterable[Space] = (),
        groups: dict[str, frozenset[str]] | None = None,
        *,
        default_read: str = "anonymous",
    ) -> None:
        self.spaces = {s.name.casefold(): s for s in spaces}
        self.groups = groups or {}  # group key -> user keys (identity keys)
        self.default_read = default_read

    def space_of(self, name: str | None) -> Space | None:
        """The space a page belongs to: its first name segment (`WG4/x` and `WG4`)."""
        if not name:
            return None
        return self.spaces.get(names.space_key(name))

    def is_member(self, space: Space, who: Who) -> bool:
        if not who.registered or who.ambiguous:
            return False
        user = who.key
        if user in space.users:
            return True
        return any(user in self.groups.get(group, ()) for group in space.groups)

    def groups_of(self, username: str) -> list[str]:
        """The (keys of the) groups a user name is in."""
        user = name_key(username)
        return sorted(g for g, members in self.groups.items() if user in members)

    def may_read(self, who: Who, name: str | None = None) -> bool:
        """Whether `who` may read page `name` (None: whether they may read anything)."""
        if who.role == "admin":
            return True
        if name is None:
            return self._reads(who, self.default_read, None) or any(
                self._reads(who, s.read, s) for s in self.spaces.values()
            )
        space = self.space_of(name)
        if space is None:
            return self._reads(who, self.default_read, None)
        return self._reads(who, space.read, space)

    def may_write(self, who: Who, name: str | None = None) -> bool:
        """Whether `who` may change page `name` (None: whether they may write anywhere)."""
        if not who.registered or who.read_only:
            return False
        if who.role == "admin":
            return True
        if name is None:
            return self._edits_outside(who) or any(
                self._writes(who, s) for s in self.spaces.values()
            )
        space = self.space_of(name)
        if space is None:
            return self._edits_outside(who)
        return self._writes(who, space)

    def may_comment(self, who: Who, name: str) -> bool:
        """Whether `who` may comment on page `name`: a signed-in reader (not by a
        read-only token), and a member where the space keeps comments to its members."""
        if not who.registered or who.read_only or not self.may_read(who, name):
            return False
        if who.role == "admin":
            return True
        space = self.space_of(name)
        return space is None or space.comment != "members" or self.is_member(space, who)

    def may_moderate(self, who: Who, name: str) -> bool:
        """Whether `who` may hide comments on page `name`: administrators, the members of
        its space, and (outside every space) those who may edit it."""
        if not who.registered or who.read_only:
            return False
        if who.role == "admin":
            return True
        space = self.space_of(name)
        if space is None:
            return self.may_write(who, name)
        return self.is_member(space, who)

    def _edits_outside(self, who: Who) -> bool:
        return who.role == "editor" and self._reads(who, self.default_read, None)

    def _reads(self, who: Who, policy: str, space: Space | None) -> bool:
        if policy == "anonymous":
            return True
        if policy == "registered":
            return who.registered
        return space is not None and self.is_member(space, who)

    def _writes(self, who: Who, space: Space) -> bool:
        if not self._reads(who, space.read, space):
            return False
        if self.is_member(space, who):
            return True
        return space.write == "editors" and who.role == "editor"

    def hidden_spaces(self, who: Who) -> list[str]:
        """The spaces whose pages `who` may not read."""
        if who.role == "admin":
            return []
        return [s.name for s in self.spaces.values() if not self._reads(who, s.read, s)]

    def read_rule(self, who: Who) -> ReadRule:
        """What `who` may read, by top-level folder (for listings that filter in bulk,
        such as search): the same decisions as `may_read`, wiki-wide rule included."""
        if who.role == "admin":
            return ReadRule(
                everything=True,
                outside=True,
                spaces=tuple(s.name for s in self.spaces.values()),
                hidden=(),
            )
        outside = self._reads(who, self.default_read, None)
        readable = tuple(s.name for s in self.spaces.values() if self._reads(who, s.read, s))
        hidden = tuple(s.name for s in self.spaces.values() if s.name not in readable)
        return ReadRule(
            everything=outside and not hidden, outside=outside, spaces=readable, hidden=hidden
        )

    def reads_everything(self, who: Who) -> bool:
        """Whether `who` may read every page there is (or ever will be)."""
        if who.role == "admin":
            return True
        return self._reads(who, self.default_read, None) and not self.hidden_spaces(who)

    def readable(self, who: Who, page_names: Iterable[str]) -> list[str]:
        return [n for n in page_names if self.may_read(who, n)]

    def to_dict(self) -> dict:
        """The snapshot as plain data (handed to the git hook of a push)."""
        return {
            "default_read": self.default_read,
            "groups": {g: sorted(users) for g, users in self.groups.items()},
            "spaces": [
                {
                    "name": s.name,
                    "title": s.title,
                    "read": s.read,
                    "write": s.write,
                    "comment": s.comment,
                    "members": [list(m) for m in s.members],
                }
                for s in self.spaces.values()
            ],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Access:
        spaces = []
        for s in data.get("spaces", []):
            members = tuple((k, m) for k, m in s.get("members", []))
            spaces.append(
                Space(
                    s["name"],
                    s.get("title", s["name"]),
                    "",
                    s["read"],
                    s["write"],
                    users=frozenset(name_key(m) for k, m in members if k == "user"),
                    groups=frozenset(name_key(m) for k, m in members if k == "group"),
                    members=members,
                    comment=s.get("comment", "registered"),
                )
            )
        groups = {g: frozenset(users) for g, users in data.get("groups", {}).items()}
        return cls(spaces, groups, default_read=data.get("default_read", "anonymous"))
