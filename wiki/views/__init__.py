"""Blueprints: how HTTP reaches the domain. Views parse, call one domain method, respond."""

from __future__ import annotations

import datetime
from urllib.parse import quote
from urllib.parse import urlencode

from flask import Flask
from flask import current_app
from flask import g
from flask import render_template
from flask import request
from markupsafe import Markup
from markupsafe import escape

from ..access.auth import read_filter
from ..app import services
from ..i18n import ui_language
from ..pages import names
from ..pages.catalog import TreeNode
from ..pages.service import Wiki


def get_wiki() -> Wiki:
    """The Wiki service of this application."""
    return services().pages


def page_url(name: str, **params: str) -> str:
    """The URL of a page: `/<name>`, with `/` for Home.

    Built by hand rather than with url_for: the sidebar and page lists call it
    dozens of times per request, and a page URL is just the quoted name.
    """
    root = request.script_root
    if name == names.HOME and not params:
        return root + "/"
    url = root + "/" + quote(name)
    return url + "?" + urlencode(params) if params else url


def page_number() -> int:
    """The `?page=` of a paginated list (1 for anything that is not a positive number)."""
    try:
        return max(1, int(request.args.get("page") or 1))
    except ValueError:
        return 1


def folder_listing(folder: str, current: str = "") -> Markup | None:
    """The sidebar list of a folder's pages, rendered once per commit and folder."""
    wiki = get_wiki()
    node = wiki.subtree(folder) if folder else None
    if node is None or not node.children:
        return None
    cache = services().sidebar
    key = (wiki.head(), request.script_root, ui_language(), folder)
    html = cache.get(key)
    if html is None:
        if len(cache) > 256:
            cache.clear()
        html = render_template("_folder_list.html", node=node, folder=folder, limit=60)
        cache[key] = html
    if current:
        # mark the current page without rendering the list again
        link = f'href="{escape(page_url(current))}"'
        html = html.replace(link + ">", link + ' aria-current="page">', 1)
    return Markup(html)


def new_page_name() -> str | None:
    """Where the "New page" link starts: outside the spaces when the user may write
    there, else in the first space they may write in (None: nowhere)."""
    from ..access.auth import WRITE
    from ..access.auth import access
    from ..access.auth import can

    if can(WRITE, "New page"):
        return "New page"
    for space in sorted(access().spaces.values(), key=lambda s: s.name.casefold()):
        if can(WRITE, f"{space.name}/New page"):
            return f"{space.name}/New page"
    return None


def mirror_state() -> dict | None:
    """The upstream mirror's state (None without a mirror), for admins' pages."""
    mirror = services().mirror
    return mirror.state() if mirror is not None else None


def registration_mode() -> str:
    """Whether people may create accounts: off, approval or open. An admin's choice
    (stored in the accounts database) wins over the REGISTRATION setting, its default;
    read once per request."""
    mode = g.get("_registration")
    if mode is None:
        default = current_app.config["REGISTRATION"]
        mode = g._registration = services().users.setting("registration", default)
    return mode


def pending_signups() -> int:
    """Accounts waiting for approval (for administrators' links): counted once per request."""
    count = g.get("_pending")
    if count is None:
        count = g._pending = services().users.pending_count()
    return count


def visible_tree(node: TreeNode) -> TreeNode:
    """The page tree (root) without the top-level folders and pages the current user may
    not read (their spaces, or everything outside the spaces under READ_ACCESS)."""
    allowed = read_filter()
    if allowed is None:
        return node
    root = TreeNode(node.name, node.label, node.is_page)
    root.children = {k: v for k, v in node.children.items() if allowed(k)}
    return root


def visible_sections() -> list[tuple[str, str]]:
    """The sidebar's top-level folders that the current user may read."""
    allowed = read_filter()
    sections = get_wiki().sections()
    return sections if allowed is None else [(k, t) for k, t in sections if allowed(k)]


def changed_page(path: str | None) -> tuple[str | None, str | None]:
    """The page a changed path belongs to and where it leads (a page's discussion file
    leads to its discussion), for lists of changes; (None, None) for other files."""
    if not path:
        return None, None
    if names.is_discussion_path(path):
        page = names.discussion_page(path)
        return page, page_url(page) + "#discussion"
    if names.is_page_path(path):
        page = names.to_name(path)
        return page, page_url(page)
    return None, None


def _today() -> datetime.date:
    return datetime.date.today()


def register_blueprints(app: Flask) -> None:
    from . import account
    from . import admin
    from . import api
    from . import auth
    from . import community
    from . import discussions
    from . import errors
    from . import events
    from . import files
    from . import git
    from . import overview
    from . import pages
    from . import records
    from . import setup
    from . import site
    from . import spaces

    app.register_blueprint(auth.bp)
    app.register_blueprint(setup.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(spaces.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(git.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(events.bp)
    app.register_blueprint(overview.bp)
    app.register_blueprint(community.bp)
    app.register_blueprint(discussions.bp)
    app.register_blueprint(pages.bp)  # last: its /<name> catches everything else
    errors.init_app(app)

    @app.context_processor
    def inject() -> dict:
        wiki = get_wiki()
        return {
            "site_name": app.config["SITE_NAME"],
            "registration": registration_mode(),
            "pending_signups": pending_signups,
            "mirror_state": mirror_state,
            "today_date": _today,
            "new_page_name": new_page_name,
            "page_url": page_url,
            "sections": visible_sections,
            "subtree": wiki.subtree,
            "folder_listing": folder_listing,
            "folder_of": names.folder,
            "HOME": names.HOME,
            "unread_count": community.unread_count,
            "changed_page": changed_page,
        }
