"""Error handlers: WikiError and HTTP errors become themed pages (or JSON under /-/api/)."""

from __future__ import annotations

import logging

from flask import Flask
from flask import Response
from flask import flash
from flask import jsonify
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException

from ..access.auth import HEADER_AUTH_PREFIXES
from ..access.auth import LoginRequired
from ..errors import N_
from ..errors import WikiError
from ..i18n import localized

log = logging.getLogger(__name__)

SERVER_ERROR = (
    "Something went wrong on our side. It has been logged; please try again, and "
    "tell an administrator if it keeps happening."
)


def _wants_json() -> bool:
    return request.path.startswith("/-/api/")


def _render(status: int, message: str, shown: str | None = None, **extra):
    """The error as git, an API client (English: scripts read it) or a person (`shown`:
    in the reader's language) gets it."""
    if request.path.startswith("/-/git/"):  # git prints a text/plain body to its user
        return Response(message + "\n", status=status, mimetype="text/plain")
    if _wants_json():
        return jsonify({"error": message}), status
    message = shown or message
    if status >= 500:
        # the standalone page: what broke may be what the layout reads (the repository)
        return render_template("errors/500.html", status=status, message=SERVER_ERROR), status
    try:
        return render_template(
            f"errors/{status}.html", status=status, message=message, **extra
        ), status
    except TemplateNotFound:
        return render_template("errors/error.html", status=status, message=message, **extra), status


def init_app(app: Flask) -> None:
    @app.errorhandler(WikiError)
    def wiki_error(error: WikiError):
        if isinstance(error, LoginRequired) and not _wants_json() and request.method == "GET":
            flash(localized(error), "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if error.status >= 500:
            log.error("wiki error on %s: %s", request.path, error.message, exc_info=error)
        response = make_response(_render(error.status, error.message, localized(error)))
        retry_after = getattr(error, "retry_after", None)
        if retry_after:
            response.headers["Retry-After"] = str(retry_after)
        if error.status == 401 and request.path.startswith(HEADER_AUTH_PREFIXES):
            response.headers["WWW-Authenticate"] = 'Basic realm="wiki", charset="UTF-8"'
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        messages = {
            404: N_("There is nothing at this address."),
            405: N_("This address does not accept that kind of request."),
            413: N_("What you sent is too large."),
        }
        message = messages.get(error.code or 500, error.description or "")
        return _render(error.code or 500, message, gettext(message) if message else None)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s", request.path)
        return _render(500, SERVER_ERROR)
