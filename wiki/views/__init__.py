"""Blueprints: how HTTP reaches the domain. Views parse, call one domain method, respond."""

from __future__ import annotations

from urllib.parse import quote

from flask import Flask
from flask import current_app
from flask import url_for

from .. import names
from ..pages import Wiki


def get_wiki() -> Wiki:
    """The Wiki service of this application."""
    return current_app.extensions["wiki"]


def page_url(name: str, **params: str) -> str:
    """The URL of a page: `/<name>`, with `/` for Home."""
    if name == names.HOME and not params:
        return "/"
    return url_for("pages.view", name=name, **params)


def action_url(action: str, name: str, **params: str) -> str:
    """The URL of a page action (`/-/edit/<name>` ...)."""
    base = f"/-/{action}/" + quote(name)
    if params:
        from urllib.parse import urlencode
        base += "?" + urlencode(params)
    return base


def register_blueprints(app: Flask) -> None:
    from . import api
    from . import auth
    from . import errors
    from . import pages
    from . import site

    app.register_blueprint(auth.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)  # last: its /<name> catches everything else
    errors.init_app(app)

    @app.context_processor
    def inject() -> dict:
        wiki = get_wiki()
        return {
            "site_name": app.config["SITE_NAME"],
            "page_url": page_url,
            "action_url": action_url,
            "sections": wiki.sections,
            "subtree": wiki.subtree,
            "folder_of": names.folder,
            "HOME": names.HOME,
        }
