"""Blueprint "admin": accounts, spaces, groups and the audit log (administrators only)."""

from __future__ import annotations

import secrets

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..access.auth import ADMIN
from ..access.auth import get_spaces
from ..access.auth import get_users
from ..access.auth import require
from ..access.policy import MEMBER_KINDS
from ..access.policy import READ_POLICIES
from ..access.policy import WRITE_POLICIES
from ..access.settings import upsert
from ..access.users import ROLES
from ..access.users import AccountError
from ..app import services
from ..config import REGISTRATION_CHOICES
from ..errors import N_
from ..errors import PageNotFound
from ..errors import WikiError
from ..i18n import localized
from ..mail import mail_configured
from ..mail import send_mail
from . import get_wiki
from . import page_number
from . import pending_signups
from . import registration_mode
from .spaces import POLICY_WORDS

bp = Blueprint("admin", __name__, url_prefix="/-/admin")
AUDIT_PAGE = 100


@bp.before_request
def only_admins() -> None:
    require(ADMIN)  # the one gate for everything below


def _actor() -> str:
    return current_user.username


def _fail(problem: WikiError, view, **kwargs):
    """A refused change: say why and show the same page again (4xx)."""
    if problem.status >= 500:
        raise problem
    flash(localized(problem), "error")
    page = view(**kwargs)
    body = page[0] if isinstance(page, tuple) else page
    return body, problem.status


# -- accounts --------------------------------------------------------------------------


@bp.get("/")
def home():
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users(**extra):
    store = get_users()
    return render_template(
        "admin/users.html",
        users=store.all(),
        roles=ROLES,
        registration_choices=REGISTRATION_CHOICES,
        registration_default=current_app.config["REGISTRATION"],
        registration_chosen=store.setting_is_stored("registration"),
        pending=pending_signups(),
        form=extra.pop("form", {}),
        **extra,
    )


@bp.post("/registration")
def set_registration():
    """Who may create an account, from now on (every worker reads it per request). The
    change is a transaction with its audit entry, and it renews the access version,
    which the pages kept for anonymous readers (their "Create account" link) depend on."""
    mode = request.form.get("mode", "")
    default = current_app.config["REGISTRATION"]
    if mode == "default":
        statement = ("DELETE FROM settings WHERE key = ?", ("registration",))
        new = default
    elif mode in REGISTRATION_CHOICES:
        statement, new = upsert("registration", mode), mode
    else:
        problem = AccountError(
            N_("Registration is one of: %(modes)s."), modes=", ".join(REGISTRATION_CHOICES)
        )
        return _fail(problem, users)
    old = registration_mode()
    get_spaces()._change(_actor(), "registration", "REGISTRATION", f"{old} -> {new}", [statement])
    flash(_("Registration is now %(mode)s.", mode=_registration_word(new)), "success")
    return redirect(url_for("admin.users"))


def _registration_word(mode: str) -> str:
    return {
        "off": _("off (only administrators create accounts)"),
        "approval": _("by approval (an administrator approves each new account)"),
        "open": _("open (anyone may create a reader account)"),
    }.get(mode, mode)


@bp.post("/users")
def create_user():
    form = {k: request.form.get(k, "").strip() for k in ("username", "display_name", "email")}
    role = request.form.get("role", "reader")
    password = request.form.get("password", "")
    try:
        user = get_users().add(
            form["username"],
            password or secrets.token_urlsafe(24),
            role=role,
            email=form["email"],
            display_name=form["display_name"],
        )
    except AccountError as problem:
        return _fail(problem, users, form=form)
    get_spaces().record(_actor(), "user.create", user.username, f"role={user.role}")
    if password:
        flash(_("Created the account %(user)s.", user=user.username), "success")
        return redirect(url_for("admin.users"))
    return _reset_link(user.username, created=True)


def _reset_link(username: str, *, created: bool = False):
    """A one-time link to set a password: shown to the admin, and mailed when possible."""
    store = get_users()
    user = store.by_name(username)
    secret = store.create_reset(username)
    link = url_for("account.reset", secret=secret, _external=True)
    get_spaces().record(_actor(), "user.reset-link", username, "link created")
    mailed = False
    if mail_configured(current_app.config):
        mailed = send_mail(
            current_app.config,
            user.email,
            f"{current_app.config['SITE_NAME']}: set your password",
            f"Hello {user.display_name},\n\nSet the password of your account "
            f"'{user.username}' here (the link works once, for 24 hours):\n\n{link}\n",
        )
    return render_template(
        "admin/reset_link.html",
        user=user,
        link=link,
        mailed=mailed,
        mail_failed=mail_configured(current_app.config) and not mailed,
        created=created,
    ), (201 if created else 200)


@bp.post("/users/<username>/<action>")
def user_action(username: str, action: str):
    store = get_users()
    spaces = get_spaces()
    user = store.by_name(username)
    if user is None:
        return _fail(AccountError(f"There is no user called '{username}'."), users)
    try:
        if action == "role":
            role = request.form.get("role", "")
            if user.id == current_user.id and role != "admin":
                raise AccountError(N_("You cannot take the admin role from yourself."))
            store.set_role(user.username, role)
            spaces.record(_actor(), "user.role", user.username, f"{user.role} -> {role}")
            flash(_("%(user)s is now %(role)s.", user=user.username, role=role), "success")
        elif action in ("disable", "enable"):
            if user.id == current_user.id:
                raise AccountError(N_("You cannot disable your own account."))
            store.set_disabled(user.username, action == "disable")
            spaces.record(_actor(), f"user.{action}", user.username)
            if action == "disable":
                flash(_("%(user)s is disabled.", user=user.username), "success")
            else:
                flash(_("%(user)s is enabled.", user=user.username), "success")
        elif action == "approve":
            store.approve(user.username)
            spaces.record(_actor(), "user.approve", user.username)
            flash(_("%(user)s may log in now.", user=user.username), "success")
        elif action == "reset":
            return _reset_link(user.username)
        else:
            return _fail(AccountError(N_("Unknown action '%(action)s'."), action=action), users)
    except AccountError as problem:
        return _fail(problem, users)
    return redirect(url_for("admin.users"))


# -- spaces ----------------------------------------------------------------------------


@bp.get("/spaces")
def spaces(**extra):
    return render_template(
        "admin/spaces.html",
        spaces=get_spaces().spaces(),
        read_policies=READ_POLICIES,
        write_policies=WRITE_POLICIES,
        words=POLICY_WORDS,
        form=extra.pop("form", {}),
        **extra,
    )


@bp.post("/spaces")
def create_space():
    form = {
        k: request.form.get(k, "").strip()
        for k in ("name", "title", "description", "read", "write")
    }
    try:
        space = get_spaces().create_space(
            form["name"],
            actor=_actor(),
            title=form["title"],
            description=form["description"],
            read=form["read"] or "members",
            write=form["write"] or "members",
        )
    except WikiError as problem:
        return _fail(problem, spaces, form=form)
    flash(_("Created the space %(name)s. Add its members below.", name=space.name), "success")
    return redirect(url_for("admin.space", name=space.name))


@bp.get("/spaces/<name>")
def space(name: str, **extra):
    store = get_spaces()
    found = store.get(name)
    return render_template(
        "admin/space.html",
        space=found,
        read_policies=READ_POLICIES,
        write_policies=WRITE_POLICIES,
        kinds=MEMBER_KINDS,
        words=POLICY_WORDS,
        usernames=[u.username for u in get_users().all()],
        groups=[g[0] for g in store.groups()],
        log=store.audit(limit=50, target=found.name),
        **extra,
    )


@bp.post("/spaces/<name>")
def update_space(name: str):
    try:
        found = get_spaces().update_space(
            name,
            actor=_actor(),
            title=request.form.get("title"),
            description=request.form.get("description"),
            read=request.form.get("read") or None,
            write=request.form.get("write") or None,
            comment=request.form.get("comment") or None,
        )
    except WikiError as problem:
        return _fail(problem, space, name=name)
    flash(_("Saved the settings of %(name)s.", name=found.name), "success")
    return redirect(url_for("admin.space", name=found.name))


@bp.post("/spaces/<name>/members", defaults={"action": "add"}, endpoint="add_member")
@bp.post("/spaces/<name>/members/remove", defaults={"action": "remove"}, endpoint="remove_member")
def change_members(name: str, action: str):
    kind = request.form.get("kind", "user")
    member = request.form.get("member", "").strip()
    store = get_spaces()
    change = store.add_member if action == "add" else store.remove_member
    try:
        change(name, member, actor=_actor(), kind=kind)
    except WikiError as problem:
        return _fail(problem, space, name=name)
    if action == "add":
        flash(_("Added %(member)s to %(name)s.", member=member, name=name), "success")
    else:
        flash(_("Removed %(member)s from %(name)s.", member=member, name=name), "success")
    return redirect(url_for("admin.space", name=name))


@bp.post("/spaces/<name>/delete")
def delete_space(name: str):
    try:
        get_spaces().delete_space(name, actor=_actor())
    except WikiError as problem:
        return _fail(problem, spaces)
    flash(
        _("Deleted the space %(name)s: its pages now follow the wiki-wide rules.", name=name),
        "success",
    )
    return redirect(url_for("admin.spaces"))


# -- groups ----------------------------------------------------------------------------


@bp.get("/groups")
def groups(**extra):
    return render_template(
        "admin/groups.html",
        groups=get_spaces().groups(),
        usernames=[u.username for u in get_users().all()],
        form=extra.pop("form", {}),
        **extra,
    )


@bp.post("/groups")
def create_group():
    form = {k: request.form.get(k, "").strip() for k in ("name", "title")}
    try:
        get_spaces().create_group(form["name"], actor=_actor(), title=form["title"])
    except WikiError as problem:
        return _fail(problem, groups, form=form)
    flash(_("Created the group %(name)s.", name=form["name"]), "success")
    return redirect(url_for("admin.groups"))


@bp.post("/groups/<name>/<action>")
def group_action(name: str, action: str):
    store = get_spaces()
    username = request.form.get("username", "")
    try:
        if action == "add":
            store.add_to_group(name, username, actor=_actor())
            flash(_("Added %(user)s to %(name)s.", user=username.strip(), name=name), "success")
        elif action == "remove":
            store.remove_from_group(name, username, actor=_actor())
            flash(_("Removed %(user)s from %(name)s.", user=username, name=name), "success")
        elif action == "delete":
            store.delete_group(name, actor=_actor())
            flash(_("Deleted the group %(name)s.", name=name), "success")
        else:
            raise AccountError(N_("Unknown action '%(action)s'."), action=action)
    except WikiError as problem:
        return _fail(problem, groups)
    return redirect(url_for("admin.groups"))


# -- audit log -------------------------------------------------------------------------


@bp.get("/audit")
def audit():
    page = page_number()
    entries = get_spaces().audit(limit=AUDIT_PAGE + 1, offset=(page - 1) * AUDIT_PAGE)
    return render_template(
        "admin/audit.html",
        entries=entries[:AUDIT_PAGE],
        page=page,
        has_next=len(entries) > AUDIT_PAGE,
    )


# -- mirror ----------------------------------------------------------------------------


def _mirror():
    mirror = services().mirror
    if mirror is None:
        raise PageNotFound(N_("No upstream mirror is configured (UPSTREAM_URL)."))
    return mirror


@bp.get("/mirror")
def mirror():
    found = services().mirror
    if found is None:  # how to turn it on, rather than "Not found"
        return render_template("admin/mirror_off.html")
    return render_template(
        "admin/mirror.html",
        state=found.state(),
        url=_without_credentials(found.url),
        branch=found.branch,
        interval=found.interval,
    )


@bp.post("/mirror/sync")
def mirror_sync():
    found = _mirror()
    result = found.sync()
    get_wiki().after_external_change()
    state = found.state()
    if state.get("last_error"):
        flash(_("Syncing did not finish: %(error)s", error=state["last_error"]), "error")
    elif result is not None and result.conflicts:
        count = len(result.conflicts)
        message = ngettext(
            "Synced; %(num)d page could not be merged: both versions are kept (below).",
            "Synced; %(num)d pages could not be merged: both versions are kept (below).",
            count,
        )
        flash(message, "info")
    else:
        how = result.how if result else "pushed"
        flash(_("Synced with upstream (%(how)s).", how=how), "success")
    return redirect(url_for("admin.mirror"))


@bp.post("/mirror/dismiss")
def mirror_dismiss():
    _mirror().dismiss(request.form.get("path", ""))
    get_spaces().record(_actor(), "mirror.conflict.dismiss", request.form.get("path", ""))
    flash(_("Conflict dismissed."), "success")
    return redirect(url_for("admin.mirror"))


def _without_credentials(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        return f"{scheme}://…@{rest.split('@', 1)[1]}"
    return url
