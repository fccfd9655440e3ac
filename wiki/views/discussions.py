"""Discussions under pages (comment, reply, edit, hide) and the list of consultations.

Who may comment or hide is the access policy's decision (`can(COMMENT/MODERATE)`),
asked here only; what holds for everybody (the page exists, the consultation is open,
the text is fine, the author edits for a day) is the discussion service's.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..access.auth import COMMENT
from ..access.auth import MODERATE
from ..access.auth import READ
from ..access.auth import can
from ..access.auth import current_author
from ..access.auth import read_filter
from ..access.auth import require
from ..app import services
from ..discussions.service import CONSULTATION_FIELD
from ..discussions.service import body_key
from ..discussions.service import consultation_of
from ..discussions.thread import MENTION
from ..errors import N_
from ..errors import PageNotFound
from ..errors import PermissionDenied
from ..errors import WikiError
from ..i18n import localized
from ..pages import names
from . import get_wiki
from . import page_url

bp = Blueprint("discussions", __name__)
_CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)


def discussion_context(name: str, page) -> dict | None:
    """What the discussion part of a page view shows, read at the page's commit."""
    if page is None or not page.is_current:
        return None
    found = services().discussions.thread(name, page.revision)
    consultation = consultation_of(page.meta)
    now = datetime.now(UTC)
    is_open = consultation is None or consultation.is_open(now)
    users = services().users
    people: dict[str, str] = {}

    def person(username: str) -> str:
        if username not in people:
            user = users.by_name(username)
            people[username] = user.display_name if user is not None else username
        return people[username]

    visible = read_filter()
    wiki = get_wiki()
    bodies = {}
    for comment in found.comments:
        for item in (comment, *comment.replies):
            person(item.by)
            if not item.hidden:
                text = _with_mentions(item.body)
                bodies[item.id] = Markup(
                    wiki.render_cached(text, name, key=body_key(text), visible=visible).html
                )
    me = current_user.username if current_user.is_authenticated else ""
    return {
        "thread": found,
        "consultation": consultation,
        "open": is_open,
        "may_comment": is_open and can(COMMENT, name),
        "may_moderate": can(MODERATE, name),
        "me": me,
        "now": now,
        "person": person,
        "bodies": bodies,
        "draft": g.get("comment_draft", ""),
        "draft_reply": g.get("comment_reply", ""),
        "error": g.get("comment_error", ""),
        "watching": _watching(name),
    }


def _watching(name: str) -> bool | None:
    if not current_user.is_authenticated:
        return None
    from ..community.follow import page_key

    return services().community.store.is_watching(current_user.id, "page", page_key(name))


def _with_mentions(text: str) -> str:
    """`@name` of an existing account becomes a link to their page (not inside code)."""
    users = services().users

    def link(match: re.Match) -> str:
        wanted = match.group(1).rstrip(".-")
        user = users.by_name(wanted)
        if user is None:
            return match.group(0)
        rest = match.group(1)[len(wanted) :]
        return f"[@{wanted}](/-/people/{user.username}){rest}"

    parts = _CODE.split(text)
    return "".join(part if i % 2 else MENTION.sub(link, part) for i, part in enumerate(parts))


def _page_or_404(name: str) -> str:
    try:
        name = names.normalize(name)
    except WikiError:
        raise PageNotFound(N_("There is no page with that name.")) from None
    require(READ, name)
    found = get_wiki().canonical(name)
    if found is None:
        raise PageNotFound(N_("There is no page with that name."))
    return found


def _refuse_comment(name: str) -> None:
    """Stop unless the current user may comment on `name` (a reader who may not gets the
    reason: log in, or the space keeps comments to its members)."""
    if can(COMMENT, name):
        return
    require(READ, name)  # 401 for anonymous readers, 404 for pages they may not read
    if not current_user.is_authenticated:
        raise PermissionDenied(N_("Please log in to continue."))
    space = services().spaces.access().space_of(name)
    if space is not None and space.comment == "members":
        raise PermissionDenied(N_("Only members of %(space)s may comment here."), space=space.title)
    raise PermissionDenied(N_("You do not have permission to do that."))


@bp.post("/-/comment/<path:name>")
def post(name: str):
    name = _page_or_404(name)
    body = request.form.get("body", "")
    reply_to = request.form.get("reply_to", "").strip()
    if g.get("csrf_failed"):
        return _again(
            name,
            body,
            reply_to,
            _("Your session expired, so the comment was not posted. Post it again."),
        )
    if not current_user.is_authenticated:
        return _again(name, body, reply_to, _("Please log in to continue."), 401)
    try:
        _refuse_comment(name)
        ident = services().discussions.add(name, body, author=current_author(), reply_to=reply_to)
    except PermissionDenied as problem:
        return _again(name, body, reply_to, localized(problem), 403)
    except WikiError as problem:
        return _again(name, body, reply_to, localized(problem), problem.status or 400)
    return redirect(page_url(name) + f"#c-{ident}")


def _again(name: str, body: str, reply_to: str, message: str, status: int = 400):
    """The page again, with the comment's text in its form and what went wrong: a
    refused comment is never lost."""
    from .pages import _view

    g.comment_draft, g.comment_reply, g.comment_error = body, reply_to, message
    g.uncacheable = True
    flash(message, "error")
    return _view(get_wiki(), name), status


@bp.route("/-/comment/<path:name>/<ident>/edit", methods=["GET", "POST"])
def edit(name: str, ident: str):
    name = _page_or_404(name)
    _refuse_comment(name)
    discussions = services().discussions
    found = discussions.thread(name)
    from ..discussions.thread import find

    comment = find(found.comments, ident)
    if comment is None:
        raise PageNotFound(N_("There is no such comment."))
    if not comment.editable_by(current_user.username):
        raise PermissionDenied(
            N_("Only its author may change a comment, and only for a day after writing it.")
        )
    body, error = comment.body, ""
    if request.method == "POST":
        body = request.form.get("body", "")
        if g.get("csrf_failed"):
            error = _("Your session expired, so the comment was not changed. Save it again.")
        else:
            try:
                discussions.edit(name, ident, body, author=current_author())
            except WikiError as problem:
                error = localized(problem)
            else:
                return redirect(page_url(name) + f"#c-{ident}")
    return (
        render_template(
            "pages/comment_edit.html", name=name, comment=comment, body=body, error=error
        ),
        400 if error else 200,
    )


@bp.post("/-/comment/<path:name>/<ident>/hide")
def hide(name: str, ident: str):
    name = _page_or_404(name)
    if not can(MODERATE, name):
        raise PermissionDenied(
            N_("Only administrators and the members of this page's space may hide comments.")
        )
    try:
        services().discussions.hide(
            name, ident, request.form.get("reason", ""), author=current_author()
        )
    except WikiError as problem:
        flash(localized(problem), "error")
        return redirect(page_url(name) + f"#c-{ident}")
    flash(_("The comment is hidden. Its text stays in the page's history."), "success")
    return redirect(page_url(name) + f"#c-{ident}")


@bp.get("/-/consultations")
def consultations():
    """The pages open for comments until a date, open ones first (soonest closing
    first), then closed ones (latest first); only pages the reader may read."""
    require(READ)
    wiki = get_wiki()
    head = wiki.head()
    rows = []
    if head and wiki.page_table_ready(head, wait=2):
        visible = read_filter()
        today = datetime.now(UTC)
        for page, meta in wiki.links.having(CONSULTATION_FIELD):
            if visible is not None and not visible(page):
                continue
            found = consultation_of(meta)
            if found is None:
                continue
            thread = services().discussions.thread(page, head)
            title = meta.get("title") if isinstance(meta.get("title"), str) else names.leaf(page)
            rows.append(
                {
                    "name": page,
                    "title": title,
                    "until": found.until,
                    "open": found.is_open(today),
                    "count": thread.count,
                    "people": thread.people,
                    "wg": meta.get("wg") if isinstance(meta.get("wg"), str) else "",
                }
            )
    open_ones = sorted((r for r in rows if r["open"]), key=lambda r: r["until"])
    closed = sorted((r for r in rows if not r["open"]), key=lambda r: r["until"], reverse=True)
    return render_template("site/consultations.html", open_ones=open_ones, closed=closed)
