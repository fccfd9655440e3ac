"""Groups of users (for example one per partner organisation): a part of `SpaceStore`
(wiki/access/spaces.py), which gives it `_db`, `_change`, `_existing` and `access()`.
No Flask imports.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import N_
from ..errors import SpaceError
from .identity import mixes_scripts
from .identity import name_key

_GROUP_NAME = re.compile(r"^[\w.\-]{2,40}$", re.UNICODE)


class Groups:
    def groups(self) -> list[tuple[str, str, list[str]]]:
        """Every group as (name, title, members)."""
        db = self._db()
        members: dict[str, list[str]] = {}
        for grp, username in db.execute(
            "SELECT grp, username FROM group_members ORDER BY username COLLATE NOCASE"
        ):
            members.setdefault(name_key(grp), []).append(username)
        return [
            (name, title, members.get(name_key(name), []))
            for name, title in db.execute("SELECT name, title FROM groups ORDER BY name")
        ]

    def group_collisions(self) -> list[list[str]]:
        """Group names that share an identity key (old databases only), as lists."""
        return [names for names in group_names(self._db()).values() if len(names) > 1]

    def _group(self, name: str, *, shared_ok: bool) -> str:
        """The stored name of the group called `name`: exactly so, else by identity key.

        :raises SpaceError: for an unknown group, or (unless `shared_ok`, for deleting one of
            them) a name that several groups of an old database share.
        """
        name = name.strip().lstrip("@")
        stored = group_names(self._db()).get(name_key(name), [])
        if not stored:
            raise SpaceError(N_("There is no group called '%(name)s'."), name=name)
        if len(stored) > 1:
            if shared_ok and name in stored:
                return name
            raise SpaceError(
                f"The groups {', '.join(stored)} have names the wiki treats as the same, so "
                "they give no membership: delete all but one of them first."
            )
        return stored[0]

    def create_group(self, name: str, *, actor: str, title: str = "") -> None:
        """:raises SpaceError: for a malformed name or one an existing group has (by key)."""
        name = unicodedata.normalize("NFC", name.strip())
        if not _GROUP_NAME.match(name):
            raise SpaceError(
                "A group name has 2 to 40 letters, digits, '.', '-' or '_' (no spaces)."
            )
        if mixes_scripts(name):
            raise SpaceError(
                "A group name may not mix letters of different scripts (such as "
                "Latin with Cyrillic or Greek look-alikes)."
            )

        def unique(db) -> None:
            if name_key(name) in group_names(db):
                raise SpaceError(
                    f"There is already a group called '{name}' (names that "
                    "differ only in letter case or in another form of the same "
                    "letter, such as ß and ss, count as the same)."
                )

        self._change(
            actor,
            "group.create",
            name,
            f"title={title.strip()!r}" if title.strip() else "",
            [("INSERT INTO groups (name, title) VALUES (?, ?)", (name, title.strip()))],
            guard=unique,
        )

    def delete_group(self, name: str, *, actor: str) -> None:
        """Delete a group; it leaves every space.

        :raises SpaceError: for an unknown group.
        """
        name = self._group(name, shared_ok=True)
        db = self._db()
        key = name_key(name)
        spellings = {name}
        if len(group_names(db)[key]) == 1:
            # every spelling of its name, so that no later group of that name inherits
            # members or spaces; with a shared name only the exact one (it is not merged)
            spellings |= {
                grp
                for (grp,) in db.execute("SELECT grp FROM group_members")
                if name_key(grp) == key
            }
            spellings |= {
                m
                for (m,) in db.execute("SELECT member FROM space_members WHERE kind = 'group'")
                if name_key(m) == key
            }
        statements = []
        for spelling in sorted(spellings):
            # (NOCASE, the columns' collation: no other group can differ only in ASCII case)
            statements += [
                ("DELETE FROM group_members WHERE grp = ?", (spelling,)),
                ("DELETE FROM space_members WHERE kind = 'group' AND member = ?", (spelling,)),
            ]
        self._change(
            actor,
            "group.delete",
            name,
            "",
            [*statements, ("DELETE FROM groups WHERE name = ?", (name,))],
        )

    def add_to_group(self, group: str, username: str, *, actor: str) -> None:
        group = self._existing("group", group)
        username = self._existing("user", username)
        if name_key(username) in self.access().groups.get(name_key(group), ()):
            raise SpaceError(
                N_("%(username)s is already in the group %(group)s."),
                username=username,
                group=group,
            )
        self._change(
            actor,
            "group.member.add",
            group,
            username,
            [("INSERT INTO group_members (grp, username) VALUES (?, ?)", (group, username))],
        )

    def remove_from_group(self, group: str, username: str, *, actor: str) -> None:
        group = self._existing("group", group)
        group_key, user_key = name_key(group), name_key(username)
        # every row of this identity (an old database may hold several spellings)
        rows = [
            (grp, member)
            for grp, member in self._db().execute("SELECT grp, username FROM group_members")
            if name_key(grp) == group_key and name_key(member) == user_key
        ]
        if not rows:
            raise SpaceError(
                N_("%(username)s is not in the group %(group)s."),
                username=username.strip(),
                group=group,
            )
        self._change(
            actor,
            "group.member.remove",
            group,
            rows[0][1],
            [
                (
                    "DELETE FROM group_members WHERE grp = ? COLLATE BINARY "
                    "AND username = ? COLLATE BINARY",
                    row,
                )
                for row in rows
            ],
        )


def group_names(db) -> dict[str, list[str]]:
    """The stored group names by identity key (more than one only in old databases)."""
    found: dict[str, list[str]] = {}
    for (name,) in db.execute("SELECT name FROM groups ORDER BY name"):
        found.setdefault(name_key(name), []).append(name)
    return found
