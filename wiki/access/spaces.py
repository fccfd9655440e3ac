"""The store of spaces, groups and memberships, and the audit log of their changes.

The configuration lives in the accounts database, so it survives restarts and is
in every backup of the instance folder; every change is written to the audit
log. What it means for a permission is decided in wiki/access/policy.py, on the
immutable `Access` snapshot this store hands out. No Flask imports.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path

from ..errors import N_
from ..errors import InvalidPageName
from ..errors import SpaceError
from ..errors import SpaceNotFound
from ..errors import WikiError
from ..pages import names
from ..sqlite import Database
from .audit import Audit
from .audit import AuditEntry
from .groups import Groups
from .groups import group_names
from .identity import name_key
from .policy import COMMENT_POLICIES
from .policy import MEMBER_KINDS
from .policy import READ_POLICIES
from .policy import WRITE_POLICIES
from .policy import Access
from .policy import Space
from .seed import Seeding
from .seed import load_seed

__all__ = ["AuditEntry", "SpaceError", "SpaceNotFound", "SpaceStore", "load_seed"]

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


class SpaceStore(Groups, Audit, Seeding):
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
        columns = {row[1] for row in self._db().execute("PRAGMA table_info(spaces)")}
        if "comment_policy" not in columns:  # added with discussions
            self._db().execute(
                "ALTER TABLE spaces ADD COLUMN comment_policy TEXT NOT NULL DEFAULT 'registered'"
            )
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
        for name, title, description, read, write, comment in db.execute(
            "SELECT name, title, description, read_policy, write_policy, comment_policy FROM spaces"
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
                    comment=comment,
                )
            )
        by_key = group_names(db)
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
            raise SpaceNotFound(N_("There is no space called '%(name)s'."), name=name)
        return space

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
            raise SpaceError(N_("There is already a space called '%(name)s'."), name=name)
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
        comment: str | None = None,
    ) -> Space:
        """Change a space's title, description or policies (None keeps a value)."""
        space = self.get(name)
        new = {
            "title": space.title if title is None else (title.strip() or space.name),
            "description": space.description if description is None else description.strip(),
            "read": read or space.read,
            "write": write or space.write,
            "comment": comment or space.comment,
        }
        _check_policies(new["read"], new["write"])
        if new["comment"] not in COMMENT_POLICIES:
            raise SpaceError(
                N_("Who may comment must be one of: %(choices)s."),
                choices=", ".join(COMMENT_POLICIES),
            )
        changed = {k: v for k, v in new.items() if v != getattr(space, k)}
        if not changed:
            return space
        self._change(
            actor,
            "space.update",
            space.name,
            " ".join(
                f"{k}={v!r}" if k in ("title", "description") else f"{k}={v}"
                for k, v in changed.items()
            ),
            [
                (
                    "UPDATE spaces SET title = ?, description = ?, read_policy = ?, "
                    "write_policy = ?, comment_policy = ? WHERE name = ?",
                    (
                        new["title"],
                        new["description"],
                        new["read"],
                        new["write"],
                        new["comment"],
                        space.name,
                    ),
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
            raise SpaceError(
                N_("%(member)s is already a member of %(name)s."),
                member=_label(kind, member),
                name=space.name,
            )
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
            raise SpaceError(
                N_("%(member)s is not a member of %(name)s."),
                member=_label(kind, member.strip()),
                name=space.name,
            )
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
                raise SpaceError(N_("There is no user called '%(member)s'."), member=member)
            # the account's stored name, when the lookup tells it
            return found if isinstance(found, str) else member
        if kind == "group":
            return self._group(member, shared_ok=False)
        raise SpaceError(
            N_("A member is one of: %(member_kinds)s."), member_kinds=", ".join(MEMBER_KINDS)
        )


def _space_name(name: str) -> str:
    name = (name or "").strip()
    if "/" in name:
        raise SpaceError(N_("A space is a top-level folder: its name has no '/'."))
    try:
        name = names.normalize(name)
    except InvalidPageName as problem:
        raise SpaceError(problem.message) from None
    if name == names.HOME:
        raise SpaceError(
            N_("'%(home)s' is the front page; pick another name for a space."), home=names.HOME
        )
    return name


def _check_policies(read: str, write: str) -> None:
    if read not in READ_POLICIES:
        raise SpaceError(
            N_("The read policy must be one of: %(read_policies)s."),
            read_policies=", ".join(READ_POLICIES),
        )
    if write not in WRITE_POLICIES:
        raise SpaceError(
            N_("The write policy must be one of: %(write_policies)s."),
            write_policies=", ".join(WRITE_POLICIES),
        )


def _label(kind: str, member: str) -> str:
    return f"group {member}" if kind == "group" else f"user {member}"
