"""Blueprint "setup": the first administrator, created from the browser.

`wiki serve` prints a one-time address `/-/setup/<token>` on the console while no
administrator exists (wiki/cli/content.py). Opening it keeps the token's hash in the
browser's session and moves on to `/-/setup`, so no page holds the token (the header's
links repeat the address they are on) and no further request carries it. The form
works until an administrator exists (made here or with `wiki user add`); two posts
make at most one.
"""

from __future__ import annotations

from flask import Blueprint
from flask import flash
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_user

from ..access.auth import get_spaces
from ..access.auth import get_users
from ..access.settings import setup_digest
from ..access.users import AccountError
from ..errors import N_
from ..errors import PageNotFound
from ..errors import WikiError
from ..i18n import localized

bp = Blueprint("setup", __name__)
FIELDS = ("username", "display_name", "email")
SESSION_KEY = "setup"


class SetupDone(WikiError):
    status = 410


def _check(digest: str) -> None:
    """:raises SetupDone: an administrator exists. :raises PageNotFound: a wrong token."""
    users = get_users()
    if users.has_admin():
        users.drop_setup_token()
        raise SetupDone(
            N_(
                "The wiki has an administrator already, so this setup address no longer "
                "works. Log in, or ask an administrator for an account."
            )
        )
    if not digest or not users.setup_valid(digest):
        raise PageNotFound(
            N_(
                "This setup address is not valid: it may be mistyped, or the server was "
                "started again since (each start prints a new one on its console)."
            )
        )


def _no_referrer(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/-/setup/<token>")
def open_address(token: str):
    """On to the form, right or wrong (the form's address says which): no page is drawn
    at an address holding the token."""
    session[SESSION_KEY] = setup_digest(token)
    return _no_referrer(redirect(url_for("setup.first_admin")))


def _form(form: dict, status: int = 200):
    page = render_template("auth/setup.html", form=form)
    return _no_referrer(make_response(page, status))


@bp.errorhandler(SetupDone)
def setup_done(problem: SetupDone):
    """Spent: a page of its own that says why and leads to the log-in."""
    page = render_template("auth/setup_done.html", message=localized(problem))
    return _no_referrer(make_response(page, problem.status))


@bp.route("/-/setup", methods=["GET", "POST"])
def first_admin():
    digest = session.get(SESSION_KEY, "")
    _check(digest)
    form = {k: request.form.get(k, "").strip() for k in FIELDS}
    if request.method == "GET":
        return _form(form)
    password = request.form.get("password", "")
    if password != request.form.get("confirm_password", ""):
        flash(_("The two passwords differ."), "error")
        return _form(form, 400)
    if not form["email"]:
        flash(_("An e-mail address is needed (your edits are signed with it)."), "error")
        return _form(form, 400)
    users = get_users()
    if not users.claim_setup(digest):
        _check(digest)  # someone was quicker: say why
        raise PageNotFound(N_("This setup address is not valid."))
    try:
        user = users.add(
            form["username"],
            password,
            role="admin",
            email=form["email"],
            display_name=form["display_name"],
        )
    except AccountError as problem:
        users.restore_setup(digest)
        flash(localized(problem), "error")
        return _form(form, 400)
    get_spaces().record(user.username, "user.create", user.username, "role=admin (first run)")
    session.clear()  # a fresh session (and CSRF token), as at login
    login_user(user)
    flash(
        _("Welcome, %(name)s. You are the administrator of this wiki.", name=user.display_name),
        "success",
    )
    return redirect(url_for("admin.users"))
