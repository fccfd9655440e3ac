"""Watching, notifications (the bell, /-/notifications, mail settings, unsubscribe),
the people directory and the administrators' view of the mail queue.

Every listing passes the same read gate as a page view: a notification, a watched
page, an edit or a comment on a person's page is shown only when the reader may read
its page now.
"""

from __future__ import annotations

import time
from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access.auth import ADMIN
from ..access.auth import READ
from ..access.auth import LoginRequired
from ..access.auth import can
from ..access.auth import read_filter
from ..access.auth import require
from ..app import services
from ..community.follow import page_key
from ..community.mailing import TEXTS
from ..community.mailing import notice_path
from ..community.mailing import unsubscribe_user
from ..community.store import MAIL_MODES
from ..community.store import WATCH_KINDS
from ..errors import N_
from ..errors import InvalidPageName
from ..errors import PermissionDenied
from ..errors import WikiError
from ..pages import names
from ..records.validate import COUNTRIES
from ..records.validate import LANGUAGES
from ..records.validate import WORKING_GROUPS
from . import get_wiki

bp = Blueprint("community", __name__)
PEOPLE_EDITS = 15


def _login() -> None:
    if not current_user.is_authenticated:
        raise LoginRequired(N_("Please log in to continue."))


def community():
    return services().community


def unread_count() -> int:
    """The bell's number (after following any new commit); 0 for anonymous readers."""
    if not current_user.is_authenticated:
        return 0
    count = g.get("unread_count")
    if count is None:  # once per request (the page view and the header both ask)
        found = community()
        found.catch_up()
        count = g.unread_count = found.store.unread_count(current_user.id)
    return count


def mark_page_read(name: str) -> None:
    """Reading a page settles its notifications (no mail about what was seen)."""
    if current_user.is_authenticated and unread_count():
        community().store.mark_read(current_user.id, page=name)
        g.pop("unread_count", None)


# -- notifications --------------------------------------------------------------------


@bp.get("/-/notifications")
def notifications():
    _login()
    community().catch_up()
    store = community().store
    visible = read_filter()
    notices = [
        n for n in store.notices(current_user.id, limit=100) if visible is None or visible(n.page)
    ]
    users = services().users
    names_of = {}
    for notice in notices:
        if notice.actor not in names_of:
            user = users.by_name(notice.actor) if notice.actor else None
            names_of[notice.actor] = user.display_name if user else notice.actor
    return render_template(
        "community/notifications.html",
        notices=notices,
        names_of=names_of,
        notice_texts=TEXTS,
        link=notice_path,
        when=lambda ts: datetime.fromtimestamp(ts, UTC),
        unread=sum(1 for n in notices if not n.read),
    )


@bp.post("/-/notifications/read")
def mark_read():
    _login()
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    community().store.mark_read(current_user.id, ids or None)
    return redirect(url_for("community.notifications"))


@bp.get("/-/notifications/<int:notice_id>")
def open_notice(notice_id: int):
    """Follow a notification: marks it read and goes where it leads."""
    _login()
    store = community().store
    found = [n for n in store.notices_by_id([notice_id]) if n.user_id == current_user.id]
    if not found or not can(READ, found[0].page):
        abort(404)
    store.mark_read(current_user.id, [notice_id])
    return redirect(notice_path(found[0]))


@bp.route("/-/notifications/settings", methods=["GET", "POST"])
def settings():
    _login()
    store = community().store
    if request.method == "POST":
        mode = request.form.get("mail", "daily")
        if mode not in MAIL_MODES:
            flash(_("Choose how often you get e-mail."), "error")
            return redirect(url_for("community.settings")), 303
        store.save_profile(
            current_user.id, mail=mode, auto_watch=request.form.get("auto_watch") == "1"
        )
        flash(_("Saved your notification settings."), "success")
        return redirect(url_for("community.settings"))
    return render_template(
        "community/settings.html",
        profile=store.profile(current_user.id),
        modes=MAIL_MODES,
        mail_ready=bool(current_app.config.get("SMTP_HOST")),
        has_email=bool(current_user.email),
    )


@bp.route("/-/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """The address in every mail: GET asks (a link checker must not unsubscribe anyone),
    POST (the button, or a mail client's one-click) turns mail off."""
    user_id = unsubscribe_user(current_app.config["SECRET_KEY"], token)
    user = services().users.get(user_id) if user_id is not None else None
    if user is None:
        return render_template("community/unsubscribe.html", done=False, bad=True), 404
    if request.method == "POST":
        community().store.save_profile(user.id, mail="never")
        return render_template("community/unsubscribe.html", done=True, bad=False, user=user)
    return render_template("community/unsubscribe.html", done=False, bad=False, user=user)


# -- watching -------------------------------------------------------------------------


@bp.post("/-/watch")
def watch():
    _login()
    kind = request.form.get("kind", "page")
    target = request.form.get("target", "").strip()
    stop = request.form.get("action") == "unwatch"
    if kind not in WATCH_KINDS or not target:
        abort(400)
    target = _watch_target(kind, target)
    store = community().store
    if stop:
        store.unwatch(current_user.id, kind, page_key(target))
        flash(_("You no longer watch %(target)s.", target=target), "success")
    else:
        store.watch(current_user.id, kind, target, page_key(target))
        flash(_("You watch %(target)s now.", target=target), "success")
    back = request.form.get("next", "")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("community.watchlist")
    return redirect(back)


def _watch_target(kind: str, target: str) -> str:
    """The canonical name of what is watched, checked to exist and to be readable (the
    same answer for what does not exist and what may not be read)."""
    wiki = get_wiki()
    missing = PermissionDenied(N_("There is nothing by that name that you may watch."))
    if kind == "type":
        types = services().records.types()
        found = next((t for t in types.values() if t.id.casefold() == target.casefold()), None)
        if found is None:
            raise missing
        return found.id
    try:
        target = names.normalize(target)
    except InvalidPageName:
        raise missing from None
    if kind == "page":
        found = wiki.canonical(target)
    else:
        node = wiki.subtree(target)
        found = target if node is not None else None
    if found is None or not can(READ, found if kind == "page" else found + "/" + names.HOME):
        raise missing
    return found


@bp.get("/-/watchlist")
def watchlist():
    _login()
    visible = read_filter()
    watches = []
    for item in community().store.watches(current_user.id):
        probe = item.target if item.kind == "page" else item.target + "/" + names.HOME
        if item.kind != "type" and visible is not None and not visible(probe):
            continue
        watches.append(item)
    types = services().records.types()
    folders = [key for key, _title in _sections()]
    return render_template(
        "community/watchlist.html",
        watches=watches,
        types=sorted(types.values(), key=lambda t: t.title.casefold()),
        folders=folders,
    )


def _sections():
    from . import visible_sections

    return visible_sections()


# -- people -----------------------------------------------------------------------------


@bp.get("/-/people")
def people():
    require(READ)
    store, users = community().store, services().users
    profiles = store.profiles(listed_only=True)
    wanted = {
        "country": request.args.get("country", ""),
        "wg": request.args.get("wg", ""),
        "lang": request.args.get("lang", ""),
    }
    query = request.args.get("q", "").strip().casefold()
    rows = []
    for user_id, profile in profiles.items():
        user = users.get(user_id)
        if user is None or not user.is_active:
            continue
        if wanted["country"] and profile.country != wanted["country"]:
            continue
        if wanted["wg"] and wanted["wg"] not in profile.working_groups:
            continue
        if wanted["lang"] and wanted["lang"] not in profile.languages:
            continue
        words = " ".join(
            [
                user.display_name,
                user.username,
                profile.institution,
                profile.about,
                *profile.expertise,
            ]
        ).casefold()
        if query and not all(part in words for part in query.split()):
            continue
        rows.append((user, profile))
    rows.sort(key=lambda r: r[0].display_name.casefold())
    institutions = _institutions()
    return render_template(
        "community/people.html",
        rows=rows,
        wanted=wanted,
        query=request.args.get("q", ""),
        countries=sorted({p.country for p in profiles.values() if p.country}),
        groups=WORKING_GROUPS,
        languages=LANGUAGES,
        institution_of=lambda p: _institution_link(p.institution, institutions),
    )


@bp.get("/-/people/<username>")
def person(username: str):
    require(READ)
    users = services().users
    user = users.by_name(username)
    if user is None or user.pending:
        abort(404)
    profile = community().store.profile(user.id)
    mine = current_user.is_authenticated and current_user.id == user.id
    admin = current_user.is_authenticated and current_user.role == "admin"
    if not profile.listed and not mine and not admin and not current_user.is_authenticated:
        abort(404)  # an account not listed is not shown to anonymous readers at all
    visible = read_filter()
    wiki = get_wiki()
    revisions = wiki.storage.sync_revindex().by_account(
        user.username,
        limit=PEOPLE_EDITS * 2,
        visible=lambda path: _readable_path(path, visible),
    )
    edits, comments = [], []
    for rev in revisions:
        if rev.path and names.is_discussion_path(rev.path):
            if len(comments) < PEOPLE_EDITS:
                comments.append(_comment_of(rev, user.username))
        elif len(edits) < PEOPLE_EDITS:
            edits.append(rev)
    return render_template(
        "community/person.html",
        person=user,
        profile=profile,
        shown=profile.listed or mine or admin,
        mine=mine,
        edits=edits,
        comments=comments,
        groups=WORKING_GROUPS,
        languages=LANGUAGES,
        institution=_institution_link(profile.institution, _institutions()),
    )


def _readable_path(path: str, visible) -> bool:
    if names.is_discussion_path(path):
        page = names.discussion_page(path)
    elif names.is_page_path(path):
        page = names.to_name(path)
    else:
        page = path
    return visible is None or visible(page)


def _comment_of(rev, username: str) -> dict:
    """A comment a person wrote in a commit: its page, id and first words."""
    page = names.discussion_page(rev.path)
    entries = services().discussions.entries_at(rev.path, rev.id)
    mine = [
        e
        for e in entries
        if e.by.casefold() == username.casefold()
        and e.kind in ("comment", "reply", "edit")
        and abs((e.at - rev.date).total_seconds()) < 10
    ]
    entry = mine[-1] if mine else None
    return {
        "page": page,
        "date": rev.date,
        "id": entry.id if entry else "",
        "excerpt": " ".join(entry.body.split())[:200] if entry else "",
    }


def _institutions() -> dict[str, tuple[str, str]]:
    """Institution records the reader may read: folded title or name -> (title, page)."""
    wiki = get_wiki()
    head = wiki.head()
    found: dict[str, tuple[str, str]] = {}
    if not head or not wiki.page_table_ready(head, wait=1):
        return found
    visible = read_filter()
    for page, meta, _headings in wiki.links.records("institution"):
        if visible is not None and not visible(page):
            continue
        title = meta.get("title") if isinstance(meta.get("title"), str) else names.leaf(page)
        for key in (title, names.leaf(page), page):
            found[key.casefold()] = (title, page)
    return found


def _institution_link(value: str, institutions: dict) -> tuple[str, str | None]:
    """(label, page or None): an institution typed as text, linked to its record (and
    named by its title)."""
    value = value.strip().strip("[]").split("|")[0].strip()
    title, page = institutions.get(value.casefold(), (value, None))
    return title, page


@bp.route("/-/account/profile", methods=["GET", "POST"])
def edit_profile():
    _login()
    store = community().store
    if request.method == "POST":
        form = request.form
        country = form.get("country", "")
        store.save_profile(
            current_user.id,
            listed=form.get("listed") == "1",
            institution=form.get("institution", "")[:200],
            country=country if country in COUNTRIES else "",
            working_groups=[g for g in form.getlist("wg") if g in WORKING_GROUPS],
            languages=[code for code in form.getlist("lang") if code in LANGUAGES],
            expertise=[
                e.strip()[:80] for e in form.get("expertise", "").replace(";", ",").split(",")
            ][:20],
            about=form.get("about", "")[:1000],
        )
        flash(_("Saved your profile."), "success")
        return redirect(url_for("community.edit_profile"))
    return render_template(
        "community/profile.html",
        profile=store.profile(current_user.id),
        countries=COUNTRIES,
        groups=WORKING_GROUPS,
        languages=LANGUAGES,
        institutions=sorted({page for _t, page in _institutions().values()}, key=str.casefold),
    )


# -- the administrators' mail page --------------------------------------------------------


@bp.get("/-/admin/mail")
def admin_mail():
    require(ADMIN)
    store = community().store
    status = request.args.get("status", "")
    if status not in ("", "queued", "sent", "failed", "dropped"):
        status = ""
    users = services().users
    mails = store.mails(limit=200, status=status)
    accounts = {m.user_id: users.get(m.user_id) for m in mails}
    return render_template(
        "admin/mail.html",
        mails=mails,
        accounts=accounts,
        counts=store.mail_counts(),
        status=status,
        configured=bool(current_app.config.get("SMTP_HOST")),
        interval=current_app.config.get("NOTIFY_INTERVAL"),
        when=lambda ts: datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M") if ts else "",
    )


@bp.post("/-/admin/mail/<int:mail_id>/retry")
def admin_mail_retry(mail_id: int):
    require(ADMIN)
    community().store.retry(mail_id, time.time())
    flash(_("The mail will be sent again in the next round."), "success")
    return redirect(url_for("community.admin_mail"))


@bp.post("/-/admin/mail/run")
def admin_mail_run():
    """Run a round now (follow commits, queue what is due, send what is queued)."""
    require(ADMIN)
    try:
        made, queued, sent = community().run_once()
    except WikiError as problem:
        flash(problem.message, "error")
    else:
        flash(
            _(
                "Notifications made: %(made)s, mails queued: %(queued)s, sent: %(sent)s.",
                made=made,
                queued=queued,
                sent=sent,
            ),
            "success",
        )
    return redirect(url_for("community.admin_mail"))
