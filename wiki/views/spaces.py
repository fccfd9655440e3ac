"""Blueprint "spaces": the list of spaces and each space's home (members, changes, pages)."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access.auth import READ
from ..access.auth import LoginRequired
from ..access.auth import access
from ..access.auth import can
from ..access.auth import get_users
from ..access.auth import require
from ..access.identity import name_key
from ..access.policy import Space
from ..errors import N_
from ..errors import PageNotFound
from ..pages import names
from . import get_wiki

bp = Blueprint("spaces", __name__)
RECENT_IN_SPACE = 15

POLICY_WORDS = {
    "anonymous": _l("everyone, without logging in"),
    "registered": _l("everyone with an account"),
    "members": _l("its members"),
    "editors": _l("its members and every editor"),
}


@bp.get("/-/spaces")
def index():
    require(READ)
    visible = [s for s in access().spaces.values() if can(READ, s.name)]
    visible.sort(key=lambda s: s.name.casefold())
    return render_template("spaces/index.html", spaces=visible, words=POLICY_WORDS)


@bp.get("/-/spaces/<name>")
def space(name: str):
    found = access().spaces.get(names.space_key(name))
    if found is None or not can(READ, found.name):
        # a space one may not read and one that does not exist get the same answer
        if not current_user.is_authenticated:
            raise LoginRequired(N_("Please log in to continue."))
        raise PageNotFound(N_("There is no space with that name."))
    return render_template("spaces/space.html", space=found, **space_panel(found))


def space_panel(space: Space) -> dict:
    """What a space's home shows: its members, its recent changes and its pages."""
    wiki = get_wiki()
    users = get_users()
    snapshot = access()
    members = []
    for kind, member in space.members:
        if kind == "user":
            members.append(("user", member, _display(users, member), []))
        else:
            inside = sorted(_display(users, u) for u in snapshot.groups.get(name_key(member), ()))
            members.append(("group", member, member, inside))
    key = names.space_key(space.name)

    def in_space(page_name: str) -> bool:
        return names.space_key(page_name) == key

    recent = wiki.recent(limit=RECENT_IN_SPACE, readable=in_space)
    tree = wiki.tree()
    folder = next((n for k, n in tree.children.items() if k.casefold() == key), None)
    home = f"{folder.name}/{names.HOME}" if folder else None
    return {
        "members": members,
        "recent": recent,
        "folder": folder,
        "home": home if home and wiki.exists(home) else None,
        "words": POLICY_WORDS,
    }


def _display(users, username: str) -> str:
    user = users.by_name(username)
    return user.display_name if user else username
