"""The stores commands work on, opened from the configuration (no app, no git)."""

from __future__ import annotations

import getpass
from pathlib import Path

from ..access.spaces import SpaceStore
from ..access.users import UserStore
from ..app import configured_app


def config():
    return configured_app().config


def users() -> UserStore:
    settings = config()
    return UserStore(Path(settings["USERS_DB"]), hash_method=settings["PASSWORD_HASH_METHOD"])


def spaces() -> SpaceStore:
    settings = config()
    return SpaceStore(
        Path(settings["USERS_DB"]),
        default_read=settings["READ_ACCESS"],
        known_user=users().stored_name,
    )


def actor() -> str:
    """Who the audit log names for a change made on the command line."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"
