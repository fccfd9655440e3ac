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
from flask import has_request_context
from flask import request
from flask import session
from flask.sessions import SecureCookieSessionInterface
from flask_login import AnonymousUserMixin
from flask_login import LoginManager
from flask_login import current_user

from ..app import services
from ..errors import N_
from ..errors import PageNotFound
from ..errors import PermissionDenied
from ..errors import WikiError
from ..model import Author
from .policy import ANONYMOUS
from .policy import Access
from .policy import Who
from .spaces import SpaceStore
from .throttle import LoginThrottle
from .throttle import login_keys
from .tokens import TOKEN_PREFIX
from .users import User
from .users import UserStore

READ, WRITE, ADMIN = "read", "write", "admin"
COMMENT, MODERATE = "comment", "moderate"  # a page's discussion
# where clients may authenticate with an Authorization header instead of a session
HEADER_AUTH_PREFIXES = ("/-/api/", "/-/git/")
# the sync webhook is authenticated by its shared secret, never by a user
SYNC_PATH = "/-/api/v1/sync"
UNSUBSCRIBE_PATH = "/-/unsubscribe/"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Endpoints that hand the user's text back themselves when the CSRF check fails.
KEEPS_TEXT_ON_CSRF_FAILURE = {"pages.edit", "discussions.post"}


class LoginRequired(WikiError):
    status = 401


class CSRFError(WikiError):
    status = 400

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This form has expired or was sent from another site. Reload the page and "
                "try again."
            )
        )


class Anonymous(AnonymousUserMixin):
    role = "anonymous"
    username = ""
    display_name = "Anonymous"


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.anonymous_user = Anonymous
    manager.login_view = "auth.login"

    @manager.user_loader
    def load_user(session_id: str) -> User | None:
        return get_users().load(session_id)

    @manager.unauthorized_handler
    def unauthorized():
        raise LoginRequired(N_("Please log in to continue."))

    manager.init_app(app)
    app.before_request(_authenticate_header)  # before the CSRF check, which depends on it
    app.before_request(_authenticate_feed)
    app.before_request(_check_csrf)
    app.after_request(_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["can"] = can


def get_users() -> UserStore:
    return services().users


def get_throttle() -> LoginThrottle:
    return services().throttle


class TooManyAttempts(WikiError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, round(retry_after / 60))
        super().__init__(
            N_("Too many failed log-in attempts. Try again in about %(minutes)s min."),
            minutes=minutes,
        )
        self.retry_after = retry_after


def check_password_login(username: str, password: str, *, allow_inactive: bool = False):
    """Log-in by password, limited per account and per address (across workers).

    :raises TooManyAttempts: once the account or the address failed too often.
    """
    throttle = get_throttle()
    keys = login_keys(username, request.remote_addr)
    wait = throttle.retry_after(keys)
    if wait:
        raise TooManyAttempts(wait)
    user = get_users().authenticate(username, password, allow_inactive=allow_inactive)
    if user is None:
        throttle.failed(keys)
    else:
        throttle.clear(keys[:1])  # the account's count; never the address's
    return user


def user_from_authorization(header: str) -> User:
    """The user of an `Authorization` header: a Bearer token, or Basic with the user
    name and a personal token or the password. Sets `g.header_auth` to the scheme.

    A valid token is always accepted (256 random bits cannot be guessed, so it is never
    throttled); a wrong one counts as a failure of the client's address.

    :raises BadCredentials: for anything that does not authenticate: a malformed header,
        another scheme, a wrong or expired token, a wrong password.
    :raises TooManyAttempts: when this account or address failed too often.
    """
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    users = get_users()
    if scheme == "bearer" and value:
        user = users.user_for_token(value)
        if user is None:
            _token_failed()
        g.header_auth = "bearer"
        return user
    creds = _basic_credentials(value) if scheme == "basic" else None
    if creds is None:
        raise BadCredentials()
    username, secret = creds
    user = users.user_for_token(secret, username) if secret.startswith(TOKEN_PREFIX) else None
    if user is None:
        # a password (which may look like a token): throttled per account and address
        user = check_password_login(username, secret)
    if user is None:
        raise BadCredentials()
    g.header_auth = "basic"
    return user


def _token_failed():
    """Count a wrong token against the client's address, and refuse it.

    :raises TooManyAttempts: when the address failed too often; else BadCredentials.
    """
    throttle = get_throttle()
    keys = login_keys("", request.remote_addr)
    wait = throttle.retry_after(keys)
    if wait:
        raise TooManyAttempts(wait)
    throttle.failed(keys)
    raise BadCredentials()


def _authenticate_header() -> None:
    """On the API and git paths, an `Authorization` header alone decides who the caller
    is: the session cookie is ignored, and a header that does not authenticate is
    refused (401), never taken as an anonymous request."""
    if (
        not request.path.startswith(HEADER_AUTH_PREFIXES)
        or request.path == SYNC_PATH
        or "Authorization" not in request.headers
    ):
        return
    manager = current_app.login_manager
    # anonymous until the header proves otherwise, so that an error page never shows
    # (or acts as) the session's user
    manager._update_request_context_with_user()
    manager._update_request_context_with_user(
        user_from_authorization(request.headers["Authorization"])
    )


# Feeds that applications fetch without a session: anonymous, or the account of a feed
# token given as `?token=` (never the session of a browser that opens the address).
FEED_PATHS = ("/-/events.ics", "/-/news.atom", "/-/recent.atom")


def _authenticate_feed() -> None:
    if request.path not in FEED_PATHS:
        return
    manager = current_app.login_manager
    manager._update_request_context_with_user()  # anonymous, whatever the session says
    secret = request.args.get("token", "")
    if not secret:
        return
    user = get_users().user_for_feed_token(secret)
    if user is None:
        _token_failed()
    g.header_auth = "feed"
    manager._update_request_context_with_user(user)


class BadCredentials(WikiError):
    status = 401

    def __init__(self) -> None:
        super().__init__(N_("Wrong user name, password or token."))


def _basic_credentials(value: str) -> tuple[str, str] | None:
    if not value:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


# -- permissions ---------------------------------------------------------------------


def get_spaces() -> SpaceStore:
    return services().spaces


def access() -> Access:
    """The space configuration for this request (read once per request)."""
    snapshot = g.get("access")
    if snapshot is None:
        snapshot = g.access = get_spaces().access()
    return snapshot


def who(user=None) -> Who:
    user = current_user if user is None else user
    if not user.is_authenticated:
        return ANONYMOUS
    return Who(user.username, user.role, read_only=user.read_only, ambiguous=user.ambiguous)


def can(action: str, name: str | None = None, user=None) -> bool:
    """Whether the user (default: the current one) may do `action` on page `name`.

    READ/WRITE without a name: whether they may read/write anything at all.
    """
    if action == READ:
        return access().may_read(who(user), name)
    if action == WRITE:
        return access().may_write(who(user), name)
    if action == COMMENT:
        return name is not None and access().may_comment(who(user), name)
    if action == MODERATE:
        return name is not None and access().may_moderate(who(user), name)
    if action == ADMIN:
        person = who(user)
        return person.role == "admin" and not person.read_only
    return False


def require(action: str, name: str | None = None) -> None:
    """Stop the request unless the current user may do `action` on `name`.

    A page the user may not read does not exist for them (404, so private names
    do not leak); anonymous users are asked to log in when that could help.

    :raises LoginRequired, PermissionDenied, PageNotFound:
    """
    if can(action, name):
        return
    if name is not None and action != READ and not can(READ, name):
        action = READ
    if not current_user.is_authenticated:
        # the same answer whether or not the page exists: logging in may help
        raise LoginRequired(N_("Please log in to continue."))
    if action == READ:
        raise PageNotFound(N_("There is no page with that name."))
    if action == WRITE and who().read_only:
        raise PermissionDenied(
            N_(
                "This token may only read. Create a token with the write scope on your account "
                "page."
            )
        )
    if action == WRITE:
        space = access().space_of(name)
        if space is not None:
            if space.write == "members":
                raise PermissionDenied(
                    N_("Only members of %(space)s may edit here. Ask an administrator to add you."),
                    space=space.title,
                )
            raise PermissionDenied(
                N_(
                    "Only members and editors of %(space)s may edit here. Ask an administrator "
                    "to add you."
                ),
                space=space.title,
            )
        raise PermissionDenied(
            N_(
                "Your account may read but not edit pages. Ask an administrator for the editor "
                "role."
            )
        )
    raise PermissionDenied(N_("You do not have permission to do that."))


def readable(page_names) -> list[str]:
    """The names among `page_names` that the current user may read."""
    snapshot, person = access(), who()
    return [n for n in page_names if snapshot.may_read(person, n)]


def read_filter():
    """None when the current user may read every page, else a name -> bool test."""
    snapshot, person = access(), who()
    if snapshot.reads_everything(person):
        return None
    return lambda name: snapshot.may_read(person, name)


def search_restriction(user=None):
    """What search may show the user, as an index query (None: every page): the same
    decision as `can(READ, name)`, wiki-wide rule included, made by top-level folder.

    Search results, snippets, facet counts, suggestions and "did you mean" all pass
    through it.
    """
    from ..search import SearchIndex

    rule = access().read_rule(who(user))
    if rule.everything:
        return None
    if rule.outside:
        return SearchIndex.hide_spaces(rule.hidden)
    return SearchIndex.only_spaces(rule.spaces)


def current_author() -> Author:
    """The git author for changes made by the current user (their account recorded beside
    the commit, so history shows who really saved it)."""
    return Author(current_user.display_name, current_user.email, current_user.username)


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
    if request.routing_exception is not None:
        return  # no view runs (404, 405): the routing error answers, not a form error
    if request.path == SYNC_PATH:
        return  # a webhook: authenticated by its shared secret, never by a session
    if request.path.startswith(UNSUBSCRIBE_PATH):
        # the one-click unsubscribe of mail clients (RFC 8058): the signed address in the
        # mail authenticates it; it can only turn mail off
        return
    if request.path.startswith("/-/git/"):
        # git's POSTs carry a content type that no form can send across sites
        # (the git view insists on it), and no session is used there
        return
    if request.path.startswith("/-/api/"):
        # Only a header that authenticated (_authenticate_header) exempts a request:
        # a browser never adds a Bearer token by itself, and PUT/DELETE cannot be sent
        # across sites without a CORS preflight (which this wiki never grants). A POST
        # with Basic still needs the token: browsers resend remembered Basic credentials.
        scheme = g.get("header_auth")
        if scheme == "bearer" or (scheme == "basic" and request.method != "POST"):
            return
        if not current_user.is_authenticated:
            # an API client without credentials: ask for them (401 with a Basic
            # challenge), rather than blame an expired form
            raise LoginRequired(
                "Log in: send your user name and a personal token (or password) with HTTP "
                "Basic, or a token as 'Authorization: Bearer <token>'."
            )
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if expected and sent and hmac.compare_digest(str(sent), str(expected)):
        return
    if request.endpoint in KEEPS_TEXT_ON_CSRF_FAILURE:
        g.csrf_failed = True
        return
    raise CSRFError()


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with SESSION_COOKIE_SECURE = "auto": the cookie
    is Secure whenever the request came over HTTPS (directly or via a trusted proxy)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config["SESSION_COOKIE_SECURE"]
        if setting == "auto":
            return bool(has_request_context() and request.is_secure)
        return bool(setting)


# -- response headers ------------------------------------------------------------------

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


_SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _security_headers(response):
    headers = response.headers
    present = {key.lower() for key in headers.keys()}  # one pass, not one per header
    for key, value in _SECURITY_HEADERS:
        if key.lower() not in present:
            headers.add(key, value)
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.path.startswith(("/-/account", "/-/admin", "/-/reset", "/-/login")):
        headers["Cache-Control"] = "no-store"  # one-time links and tokens stay out of caches
    return response


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
