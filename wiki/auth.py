"""Who is asking and what they may do: Flask-Login set-up, CSRF, permission checks.

Every permission decision goes through `can()`; views call `require()` (or
`can()` to decide what to show). Nothing else looks at roles.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from urllib.parse import unquote
from urllib.parse import urlsplit

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import session
from flask_login import AnonymousUserMixin
from flask_login import LoginManager
from flask_login import current_user

from .errors import PermissionDenied
from .errors import WikiError
from .model import Author
from .users import User
from .users import UserStore

READ, WRITE, ADMIN = "read", "write", "admin"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Endpoints that hand the user's text back themselves when the CSRF check fails.
KEEPS_TEXT_ON_CSRF_FAILURE = {"pages.edit"}


class LoginRequired(WikiError):
    status = 401


class CSRFError(WikiError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            "This form has expired or was sent from another site. Reload the page and try again."
        )


class Anonymous(AnonymousUserMixin):
    role = "anonymous"
    username = ""
    display_name = "Anonymous"
    is_admin = False
    can_write = False


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.anonymous_user = Anonymous
    manager.login_view = "auth.login"

    @manager.user_loader
    def load_user(session_id: str) -> User | None:
        return get_users().load(session_id)

    @manager.request_loader
    def load_from_header(req) -> User | None:
        # HTTP Basic is for API clients (scripts, curl); browsers use the session.
        if not req.path.startswith("/-/api/"):
            return None
        creds = _basic_credentials(req.headers.get("Authorization", ""))
        if creds is None:
            return None
        user = get_users().authenticate(*creds)
        if user is not None:
            g.basic_auth = True
        return user

    @manager.unauthorized_handler
    def unauthorized():
        raise LoginRequired("Please log in to continue.")

    manager.init_app(app)
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["can"] = can


def get_users() -> UserStore:
    return current_app.extensions["wiki.users"]


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


# -- permissions ---------------------------------------------------------------------


def can(action: str, name: str | None = None, user=None) -> bool:
    """Whether the user (default: the current one) may do `action` on page `name`."""
    user = current_user if user is None else user
    if action == READ:
        if current_app.config["READ_ACCESS"] == "anonymous":
            return True
        return bool(user.is_authenticated)
    if action == WRITE:
        return bool(user.is_authenticated and user.can_write and can(READ, name, user))
    if action == ADMIN:
        return bool(user.is_authenticated and user.is_admin)
    return False


def require(action: str, name: str | None = None) -> None:
    """Stop the request unless the current user may do `action` on `name`.

    :raises LoginRequired: for anonymous users (they may log in);
        PermissionDenied for logged-in users without the right.
    """
    if can(action, name):
        return
    if not current_user.is_authenticated:
        raise LoginRequired("Please log in to continue.")
    if action == WRITE:
        raise PermissionDenied(
            "Your account may read but not edit pages. Ask an administrator for the editor role."
        )
    raise PermissionDenied("You do not have permission to do that.")


def search_restriction(user=None):
    """What search may show the user, as an index query (None: every page they may read).

    Search results, snippets, facet counts and suggestions all pass through it, so
    when reading is limited per space the limit is added here, in one place.
    """
    return None


def current_author() -> Author:
    """The git author for changes made by the current user."""
    return Author(current_user.display_name, current_user.email)


# -- CSRF ----------------------------------------------------------------------------


def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    if (
        request.path.startswith("/-/api/")
        and request.method != "POST"
        and "Authorization" in request.headers
    ):
        # PUT/DELETE cannot be sent across sites without a CORS preflight, which
        # this wiki never grants, and the credentials come in the request itself.
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if expected and sent and hmac.compare_digest(str(sent), str(expected)):
        return
    if request.endpoint in KEEPS_TEXT_ON_CSRF_FAILURE:
        g.csrf_failed = True
        return
    raise CSRFError()


def is_safe_next(target: str | None) -> bool:
    """Whether a `next` URL stays on this site (a path, never another host)."""
    if not target:
        return False
    for candidate in (target, unquote(target), unquote(unquote(target))):
        if any(ord(ch) < 32 or ch == "\\" for ch in candidate):
            return False
        if not candidate.startswith("/") or candidate.startswith("//"):
            return False
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
    return True
