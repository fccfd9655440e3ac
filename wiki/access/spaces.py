"""The store of spaces, groups and memberships, and the audit log of their changes.

The configuration lives in the accounts database, so it survives restarts and is
in every backup of the instance folder; every change is written to the audit
log. What it means for a permission is decided in wiki/access/policy.py, on the
immutable `Access` snapshot this store hands out. No Flask imports.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path

import yaml

from ..errors import InvalidPageName
from ..errors import WikiError
from ..pages import names
from ..sqlite import Database
from .identity import mixes_scripts
from .identity import name_key
from .policy import MEMBER_KINDS
from .policy import READ_POLICIES
from .policy import WRITE_POLICIES
from .policy import Access
from .policy import Space

_GROUP_NAME = re.compile(r"^[\w.\-]{2,40}$", re.UNICODE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spaces (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    read_policy TEXT NOT NULL,
    write_policy TEXT NOT NULL,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS space_members (
    space TEXT NOT NULL COLLATE NOCASE,
    kind TEXT NOT NULL,
    member TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (space, kind, member)
);
CREATE TABLE IF NOT EXISTS groups (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    title TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS group_members (
    grp TEXT NOT NULL COLLATE NOCASE,
    username TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (grp, username)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS access_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


class SpaceError(WikiError):
    status = 400


class SpaceNotFound(WikiError):
    status = 404


@dataclass(frozen=True)
class AuditEntry:
    id: int
    date: datetime
    actor: str
    action: str
    target: str
    details: str


class SpaceStore:
    """Spaces, groups, memberships and the audit log, in the accounts database."""

    def __init__(
        self,
        path: Path,
        *,
        default_read: str = "anonymous",
        known_user: Callable[[str], bool] | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.default_read = default_read
        self._known_user = known_user or (lambda name: True)
        self._database = Database(self.path, schema=_SCHEMA)
        self._db = self._database.connection
        self._lock = threading.Lock()
        self._cached: tuple[str, Access] | None = None

    def close(self) -> None:
        self._database.close()

    # -- the snapshot --------------------------------------------------------------

    def version(self) -> str:
        row = self._db().execute("SELECT value FROM access_meta WHERE key = 'version'").fetchone()
        return row[0] if row else "0"

    def access(self) -> Access:
        """The current configuration (re-read only when another process changed it)."""
        version = self.version()
        cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            db = self._db()
            db.execute("BEGIN")
            try:
                version = self.version()
                access = self._load(db)
            finally:
                db.execute("COMMIT")
            self._cached = (version, access)
        return access

    def _load(self, db) -> Access:
        members: dict[str, list[tuple[str, str]]] = {}
        for space, kind, member in db.execute(
            "SELECT space, kind, member FROM space_members "
            "ORDER BY kind DESC, member COLLATE NOCASE"
        ):
            members.setdefault(space.casefold(), []).append((kind, member))
        spaces = []
        for name, title, description, read, write in db.execute(
            "SELECT name, title, description, read_policy, write_policy FROM spaces"
        ):
            listed = tuple(members.get(name.casefold(), ()))
            spaces.append(
                Space(
                    name,
                    title,
                    description,
                    read,
                    write,
                    users=frozenset(name_key(m) for k, m in listed if k == "user"),
                    groups=frozenset(name_key(m) for k, m in listed if k == "group"),
                    members=listed,
                )
            )
        by_key = _group_names(db)
        groups: dict[str, set[str]] = {key: set() for key in by_key}
        for grp, username in db.execute("SELECT grp, username FROM group_members"):
            groups.setdefault(name_key(grp), set()).add(name_key(username))
        for key, stored in by_key.items():
            if len(stored) > 1:
                # Groups of an old database whose names share a key are never merged: the
                # shared name gives nobody membership until all but one are deleted.
                del groups[key]
        return Access(
            spaces,
            {k: frozenset(v) for k, v in groups.items()},
            default_read=self.default_read,
        )

    def spaces(self) -> list[Space]:
        return sorted(self.access().spaces.values(), key=lambda s: s.name.casefold())

    def get(self, name: str) -> Space:
        """:raises SpaceNotFound:"""
        space = self.access().spaces.get(name.strip().casefold())
        if space is None:
            raise SpaceNotFound(f"There is no space called '{name}'.")
        return space

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
        return [names for names in _group_names(self._db()).values() if len(names) > 1]

    # -- changes (each one a transaction with its audit entry) ------------------------

    def _change(
        self, actor: str, action: str, target: str, details: str, statements, guard=None
    ) -> None:
        db = self._db()
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                if guard is not None:
                    guard(db)  # a check that must hold in the same transaction (raises)
                for sql, params in statements:
                    db.execute(sql, params)
                db.execute(
                    "INSERT INTO audit (ts, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
                    (datetime.now(UTC).isoformat(), actor or "?", action, target, details),
                )
                db.execute(
                    "INSERT INTO access_meta (key, value) VALUES ('version', '1') "
                    "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            self._cached = None

    def create_space(
        self,
        name: str,
        *,
        actor: str,
        title: str = "",
        description: str = "",
        read: str = "members",
        write: str = "members",
    ) -> Space:
        """:raises SpaceError: for a bad name or policy, or a space that exists."""
        name = _space_name(name)
        _check_policies(read, write)
        if name.casefold() in self.access().spaces:
            raise SpaceError(f"There is already a space called '{name}'.")
        title = title.strip() or name
        self._change(
            actor,
            "space.create",
            name,
            f"read={read} write={write} title={title!r}",
            [
                (
                    "INSERT INTO spaces (name, title, description, read_policy, write_policy, "
                    "created) VALUES (?, ?, ?, ?, ?, ?)",
                    (name, title, description.strip(), read, write, datetime.now(UTC).isoformat()),
                )
            ],
        )
        return self.get(name)

    def update_space(
        self,
        name: str,
        *,
        actor: str,
        title: str | None = None,
        description: str | None = None,
        read: str | None = None,
        write: str | None = None,
    ) -> Space:
        """Change a space's title, description or policies (None keeps a value)."""
        space = self.get(name)
        new = {
            "title": space.title if title is None else (title.strip() or space.name),
            "description": space.description if description is None else description.strip(),
            "read": read or space.read,
            "write": write or space.write,
        }
        _check_policies(new["read"], new["write"])
        changed = {
            k: v for k, v in new.items() if v != getattr(space, k)
        }
        if not changed:
            return space
        self._change(
            actor,
            "space.update",
            space.name,
            " ".join(f"{k}={v!r}" if k in ("title", "description") else f"{k}={v}"
                     for k, v in changed.items()),
            [
                (
                    "UPDATE spaces SET title = ?, description = ?, read_policy = ?, "
                    "write_policy = ? WHERE name = ?",
                    (new["title"], new["description"], new["read"], new["write"], space.name),
                )
            ],
        )
        return self.get(space.name)

    def delete_space(self, name: str, *, actor: str) -> None:
        """Forget a space: its pages stay and follow the wiki-wide defaults."""
        space = self.get(name)
        self._change(
            actor,
            "space.delete",
            space.name,
            f"read={space.read} write={space.write} members={len(space.members)}",
            [
                ("DELETE FROM space_members WHERE space = ?", (space.name,)),
                ("DELETE FROM spaces WHERE name = ?", (space.name,)),
            ],
        )

    def add_member(self, space_name: str, member: str, *, actor: str, kind: str = "user") -> None:
        """:raises SpaceError: for an unknown user or group; SpaceNotFound."""
        space = self.get(space_name)
        member = self._existing(kind, member)
        if (kind, name_key(member)) in {(k, name_key(m)) for k, m in space.members}:
            raise SpaceError(f"{_label(kind, member)} is already a member of {space.name}.")
        self._change(
            actor,
            "space.member.add",
            space.name,
            _label(kind, member),
            [
                (
                    "INSERT INTO space_members (space, kind, member) VALUES (?, ?, ?)",
                    (space.name, kind, member),
                )
            ],
        )

    def remove_member(
        self, space_name: str, member: str, *, actor: str, kind: str = "user"
    ) -> None:
        space = self.get(space_name)
        key = name_key(member.lstrip("@"))
        # every entry of this identity (an old database may hold several spellings)
        stored = [m for k, m in space.members if k == kind and name_key(m) == key]
        if kind not in MEMBER_KINDS or not stored:
            raise SpaceError(f"{_label(kind, member.strip())} is not a member of {space.name}.")
        self._change(
            actor,
            "space.member.remove",
            space.name,
            _label(kind, stored[0]),
            [
                (
                    "DELETE FROM space_members WHERE space = ? AND kind = ? "
                    "AND member = ? COLLATE BINARY",
                    (space.name, kind, m),
                )
                for m in stored
            ],
        )

    def _existing(self, kind: str, member: str) -> str:
        """The stored name of an existing user or group (what memberships and the audit
        log record).

        :raises SpaceError: for an unknown one, or a name several of them share.
        """
        member = member.strip().lstrip("@")
        if kind == "user":
            try:
                found = self._known_user(member) if member else None
            except WikiError as problem:  # a name several accounts share
                raise SpaceError(problem.message) from None
            if not found:
                raise SpaceError(f"There is no user called '{member}'.")
            # the account's stored name, when the lookup tells it
            return found if isinstance(found, str) else member
        if kind == "group":
            return self._group(member, shared_ok=False)
        raise SpaceError(f"A member is one of: {', '.join(MEMBER_KINDS)}.")

    def _group(self, name: str, *, shared_ok: bool) -> str:
        """The stored name of the group called `name`: exactly so, else by identity key.

        :raises SpaceError: for an unknown group, or (unless `shared_ok`, for deleting one of
            them) a name that several groups of an old database share.
        """
        name = name.strip().lstrip("@")
        stored = _group_names(self._db()).get(name_key(name), [])
        if not stored:
            raise SpaceError(f"There is no group called '{name}'.")
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
            raise SpaceError("A group name may not mix letters of different scripts (such as "
                             "Latin with Cyrillic or Greek look-alikes).")

        def unique(db) -> None:
            if name_key(name) in _group_names(db):
                raise SpaceError(f"There is already a group called '{name}' (names that "
                                 "differ only in letter case or in another form of the same "
                                 "letter, such as ß and ss, count as the same).")

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
        if len(_group_names(db)[key]) == 1:
            # every spelling of its name, so that no later group of that name inherits
            # members or spaces; with a shared name only the exact one (it is not merged)
            spellings |= {grp for (grp,) in db.execute("SELECT grp FROM group_members")
                          if name_key(grp) == key}
            spellings |= {m for (m,) in db.execute(
                "SELECT member FROM space_members WHERE kind = 'group'") if name_key(m) == key}
        statements = []
        for spelling in sorted(spellings):
            # (NOCASE, the columns' collation: no other group can differ only in ASCII case)
            statements += [
                ("DELETE FROM group_members WHERE grp = ?", (spelling,)),
                ("DELETE FROM space_members WHERE kind = 'group' AND member = ?", (spelling,)),
            ]
        self._change(actor, "group.delete", name, "",
                     [*statements, ("DELETE FROM groups WHERE name = ?", (name,))])

    def add_to_group(self, group: str, username: str, *, actor: str) -> None:
        group = self._existing("group", group)
        username = self._existing("user", username)
        if name_key(username) in self.access().groups.get(name_key(group), ()):
            raise SpaceError(f"{username} is already in the group {group}.")
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
            raise SpaceError(f"{username.strip()} is not in the group {group}.")
        self._change(
            actor,
            "group.member.remove",
            group,
            rows[0][1],
            [
                ("DELETE FROM group_members WHERE grp = ? COLLATE BINARY "
                 "AND username = ? COLLATE BINARY", row)
                for row in rows
            ],
        )

    def record(self, actor: str, action: str, target: str, details: str = "") -> None:
        """An audit entry for a change made elsewhere (accounts, for example)."""
        self._db().execute(
            "INSERT INTO audit (ts, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            (datetime.now(UTC).isoformat(), actor or "?", action, target, details),
        )

    def audit(self, *, limit: int = 100, offset: int = 0, target: str | None = None):
        """Audit entries, newest first (optionally about one space or group)."""
        where, params = ("WHERE target = ?", [target]) if target else ("", [])
        rows = self._db().execute(
            f"SELECT id, ts, actor, action, target, details FROM audit {where} "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [
            AuditEntry(i, datetime.fromisoformat(ts), actor, action, target, details)
            for i, ts, actor, action, target, details in rows
        ]

    # -- seeding ---------------------------------------------------------------------

    def is_seeded(self) -> bool:
        row = self._db().execute("SELECT 1 FROM access_meta WHERE key = 'seeded'").fetchone()
        return row is not None

    def seed(self, config: dict, *, actor: str) -> int:
        """Create the spaces and groups of a starter configuration, once per database.

        `config` is {"groups": {name: title}, "spaces": {name: {title, description,
        read, write, members: [user or "@group"]}}} (as in content/.spaces.yaml).
        Returns how many spaces were created (0 when seeded before).
        """
        if self.is_seeded():
            return 0
        created = 0
        for group, title in (config.get("groups") or {}).items():
            if name_key(group) not in _group_names(self._db()):
                self.create_group(group, actor=actor, title=str(title or ""))
        for name, spec in (config.get("spaces") or {}).items():
            spec = spec or {}
            if name.casefold() in self.access().spaces:
                continue
            self.create_space(
                name,
                actor=actor,
                title=str(spec.get("title") or ""),
                description=str(spec.get("description") or ""),
                read=str(spec.get("read") or "members"),
                write=str(spec.get("write") or "members"),
            )
            created += 1
            for member in spec.get("members") or []:
                kind = "group" if str(member).startswith("@") else "user"
                try:
                    self.add_member(name, str(member), actor=actor, kind=kind)
                except SpaceError:
                    pass  # a user that does not exist yet: add them later
        self._db().execute(
            "INSERT OR IGNORE INTO access_meta (key, value) VALUES ('seeded', ?)",
            (datetime.now(UTC).isoformat(),),
        )
        return created


def load_seed(path: Path) -> dict:
    """The starter space configuration from a YAML file ({} when there is none)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise SpaceError(f"Cannot read the space configuration {path}: {error}") from None
    if not isinstance(data, dict):
        raise SpaceError(f"The space configuration {path} must be a mapping.")
    return data


def _space_name(name: str) -> str:
    name = (name or "").strip()
    if "/" in name:
        raise SpaceError("A space is a top-level folder: its name has no '/'.")
    try:
        name = names.normalize(name)
    except InvalidPageName as problem:
        raise SpaceError(problem.message) from None
    if name == names.HOME:
        raise SpaceError(f"'{names.HOME}' is the front page; pick another name for a space.")
    return name


def _check_policies(read: str, write: str) -> None:
    if read not in READ_POLICIES:
        raise SpaceError(f"The read policy must be one of: {', '.join(READ_POLICIES)}.")
    if write not in WRITE_POLICIES:
        raise SpaceError(f"The write policy must be one of: {', '.join(WRITE_POLICIES)}.")


def _group_names(db) -> dict[str, list[str]]:
    """The stored group names by identity key (more than one only in old databases)."""
    found: dict[str, list[str]] = {}
    for (name,) in db.execute("SELECT name FROM groups ORDER BY name"):
        found.setdefault(name_key(name), []).append(name)
    return found


def _label(kind: str, member: str) -> str:
    return f"group {member}" if kind == "group" else f"user {member}"
