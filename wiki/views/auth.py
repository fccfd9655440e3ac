"""Blueprint "auth": login and logout."""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import login_user
from flask_login import logout_user

from ..access.auth import TooManyAttempts
from ..access.auth import check_password_login
from ..access.auth import get_users
from ..access.auth import is_safe_next
from ..i18n import localized

bp = Blueprint("auth", __name__)


@bp.route("/-/login", methods=["GET", "POST"])
def login():
    target = request.values.get("next", "")
    if not is_safe_next(target):
        target = "/"
    if request.method == "GET":
        return render_template("auth/login.html", next=target, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    try:
        user = (
            check_password_login(username, password, allow_inactive=True)
            if username and password
            else None
        )
    except TooManyAttempts as refused:
        flash(localized(refused), "error")
        page = render_template("auth/login.html", next=target, username=username)
        return page, 429, {"Retry-After": str(refused.retry_after)}
    if user is None:
        flash(_("Wrong user name or password."), "error")
        return render_template("auth/login.html", next=target, username=username), 401
    if not user.is_active:
        flash(
            _("Your account is waiting for an administrator's approval.")
            if user.pending
            else "This account is disabled. Ask an administrator.",
            "error",
        )
        return render_template("auth/login.html", next=target, username=username), 403
    session.clear()  # a fresh session (and CSRF token) at login: no fixation
    login_user(user)
    flash(_("Welcome, %(name)s.", name=user.display_name), "success")
    return redirect(target)


@bp.post("/-/logout")
def logout():
    if current_user.is_authenticated:
        # a copy of this session cookie (and every other session of the user) ends too
        get_users().end_sessions(current_user.username)
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect("/")
