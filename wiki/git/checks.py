"""What may reach git from outside: checked revisions and paths (they become git
arguments and tree entries). No Flask imports."""

from __future__ import annotations

import re

from ..errors import N_
from ..errors import InvalidRevision
from ..errors import StorageError

_REV_RE = re.compile(r"^(?:[0-9a-f]{4,40}|HEAD)$")


def validate_revision(rev: str | None) -> str:
    """Allow only hex object names or HEAD: revisions reach git as arguments.

    :raises InvalidRevision: for anything else.
    """
    if not rev or not isinstance(rev, str) or not _REV_RE.match(rev.strip()):
        raise InvalidRevision(N_("That is not a valid revision id."))
    return rev.strip()


def check_path(path: str) -> str:
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(p in ("", ".", "..") or p.casefold().startswith(".git") for p in path.split("/"))
    ):
        raise StorageError(N_("Refused a path outside the content repository."))
    return path
