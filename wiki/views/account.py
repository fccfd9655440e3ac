"""Blueprint "account": the user's profile (password, API tokens), registration, reset links."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_user

from ..access.auth import LoginRequired
from ..access.auth import access
from ..access.auth import get_spaces
from ..access.auth import get_users
from ..access.auth import is_safe_next
from ..access.tokens import MAX_TOKEN_DAYS
from ..access.tokens import TOKEN_SCOPES
from ..access.users import AccountError
from ..errors import N_
from ..i18n import COOKIE
from ..i18n import UI_LANGUAGES
from ..i18n import localized
from . import registration_mode

bp = Blueprint("account", __name__)


def _me():
    if not current_user.is_authenticated:
        raise LoginRequired(N_("Please log in to continue."))
    return current_user


def _profile(status: int = 200, **extra):
    user = _me()
    snapshot = access()
    spaces = [s for s in snapshot.spaces.values() if snapshot.is_member(s, _who(user))]
    page = render_template(
        "account/profile.html",
        user=user,
        tokens=get_users().tokens(user.username),
        groups=[] if user.ambiguous else snapshot.groups_of(user.username),
        spaces=sorted(spaces, key=lambda s: s.name.casefold()),
        scopes=TOKEN_SCOPES,
        max_days=MAX_TOKEN_DAYS,
        **extra,
    )
    return page, status


def _who(user):
    from ..access.auth import who

    return who(user)


@bp.get("/-/account")
def profile():
    return _profile()


@bp.post("/-/account/password")
def change_password():
    user = _me()
    users = get_users()
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    if users.authenticate(user.username, current) is None:
        flash(_("Your current password is not right."), "error")
        return _profile(400)
    if new != request.form.get("confirm_password", ""):
        flash(_("The two new passwords differ."), "error")
        return _profile(400)
    try:
        users.set_password(user.username, new)
    except AccountError as problem:
        flash(localized(problem), "error")
        return _profile(400)
    login_user(users.by_name(user.username))  # this session goes on; all others end
    flash(_("Password changed. You were logged out everywhere else."), "success")
    return redirect(url_for("account.profile"))


@bp.route("/-/language/<code>", methods=["GET", "POST"])
def choose_language(code: str):
    """The header's language switcher: the choice is kept in a cookie (a year), and in
    the account of a signed-in user (a POST, with the CSRF check)."""
    target = request.values.get("next") or _back() or "/"
    if not is_safe_next(target):
        target = "/"
    if code not in UI_LANGUAGES:
        flash(_("That is not a language of the interface."), "error")
        return redirect(target)
    if request.method == "POST" and current_user.is_authenticated:
        get_users().set_ui_language(current_user.username, code)
    response = redirect(target)
    response.set_cookie(
        COOKIE,
        code,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure,
    )
    return response


def _back() -> str:
    """The page the switcher was used on (a form posted from this site)."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/-/account/tokens")
def create_token():
    user = _me()
    try:
        secret, token = get_users().create_token(
            user.username,
            request.form.get("label", ""),
            scope=request.form.get("scope", "write"),
            days=_days(request.form.get("days", "")),
        )
    except AccountError as problem:
        flash(localized(problem), "error")
        return _profile(400)
    expiry = f"expires={token.expires:%Y-%m-%d}" if token.expires else "expires=never"
    get_spaces().record(
        user.username, "token.create", user.username, f"{token.label} scope={token.scope} {expiry}"
    )
    # shown once, in this response only (never stored in the session or a redirect)
    return _profile(201, new_token=secret, new_token_label=token.label, new_token_scope=token.scope)


def _days(raw: str) -> int | None:
    """The token lifetime field: empty or "never" for no expiry, else whole days.

    :raises AccountError: for anything else.
    """
    raw = raw.strip()
    if raw in ("", "never"):
        return None
    if not raw.isdigit():
        raise AccountError(
            N_("A token lasts 1 to %(max_token_days)s days, or never expires."),
            max_token_days=MAX_TOKEN_DAYS,
        )
    return int(raw)


@bp.post("/-/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    user = _me()
    try:
        get_users().revoke_token(user.username, token_id)
    except AccountError as problem:
        flash(localized(problem), "error")
        return _profile(404)
    get_spaces().record(user.username, "token.revoke", user.username, f"token {token_id}")
    flash(_("Token revoked: it no longer works."), "success")
    return redirect(url_for("account.profile"))


@bp.route("/-/register", methods=["GET", "POST"])
def register():
    mode = registration_mode()
    if mode == "off":
        abort(404)
    if current_user.is_authenticated:
        return redirect("/")
    form = {k: request.form.get(k, "").strip() for k in ("username", "display_name", "email")}
    if request.method == "GET":
        return render_template("account/register.html", form=form, mode=mode)
    password = request.form.get("password", "")
    if password != request.form.get("confirm_password", ""):
        flash(_("The two passwords differ."), "error")
        return render_template("account/register.html", form=form, mode=mode), 400
    if not form["email"]:
        flash(_("An e-mail address is needed (your edits are signed with it)."), "error")
        return render_template("account/register.html", form=form, mode=mode), 400
    try:
        user = get_users().add(
            form["username"],
            password,
            role="reader",
            email=form["email"],
            display_name=form["display_name"],
            pending=mode == "approval",
        )
    except AccountError as problem:
        flash(localized(problem), "error")
        return render_template("account/register.html", form=form, mode=mode), 400
    get_spaces().record(
        user.username,
        "user.register",
        user.username,
        "pending approval" if user.pending else "open registration",
    )
    if user.pending:
        flash(
            _("Thank you. An administrator will approve your account; then you can log in."), "info"
        )
        return redirect("/")
    session.clear()  # a fresh session (and CSRF token), as at login: no fixation
    login_user(user)
    flash(_("Welcome, %(name)s. Your account is ready.", name=user.display_name), "success")
    return redirect("/")


@bp.route("/-/reset/<secret>", methods=["GET", "POST"])
def reset(secret: str):
    users = get_users()
    user = users.reset_user(secret)
    if user is None:
        return render_template("account/reset.html", user=None), 404
    if request.method == "GET":
        return render_template("account/reset.html", user=user)
    password = request.form.get("password", "")
    if password != request.form.get("confirm_password", ""):
        flash(_("The two passwords differ."), "error")
        return render_template("account/reset.html", user=user), 400
    try:
        user = users.use_reset(secret, password)
    except AccountError as problem:
        flash(localized(problem), "error")
        return render_template("account/reset.html", user=user), 400
    get_spaces().record(user.username, "user.password", user.username, "by reset link")
    flash(_("Your new password is set. Log in with it."), "success")
    return redirect(url_for("auth.login"))
