"""SEE Cluster Policy Learning Platform: a git-backed Markdown wiki.

`create_app()` is the only entry point; nothing runs at import time.
"""

from __future__ import annotations

import atexit
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from .config import DEFAULTS
from .config import validate_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the wiki application; `config` (tests) replaces instance file and environment."""
    from . import themes
    from . import views
    from .access import auth
    from .access.auth import SessionInterface
    from .access.spaces import SpaceStore
    from .access.throttle import LoginThrottle
    from .access.users import UserStore
    from .clienttimeout import ClientTimeout
    from .git import hooks as githooks
    from .git import http as githttp
    from .git.storage import Storage
    from .pages.linkindex import LinkIndex
    from .pages.render import Renderer
    from .pages.rendercache import RenderCache
    from .pages.service import Wiki
    from .search import SearchIndex

    app = configured_app(config)
    storage = Storage(Path(app.config["CONTENT_DIR"]))
    githttp.configure(storage.git_dir)  # strict receiving, whoever pushes
    githooks.install(storage.git_dir)  # every push is checked (wiki/git/pushcheck.py)
    render_store = RenderCache(storage.git_dir / "wiki" / "render-cache.sqlite")
    links = LinkIndex(storage.git_dir / "wiki" / "links.sqlite")
    app.extensions["wiki"] = Wiki(
        storage,
        Renderer(link_base="/", edit_base="/-/edit/"),
        max_page_bytes=app.config["MAX_PAGE_BYTES"],
        render_store=render_store,
        links=links,
        index=SearchIndex(
            Path(app.config["SEARCH_INDEX_DIR"]), default_language=app.config["DEFAULT_LANGUAGE"]
        ),
    )
    users = UserStore(Path(app.config["USERS_DB"]), hash_method=app.config["PASSWORD_HASH_METHOD"])
    app.extensions["wiki.access.users"] = users
    app.extensions["wiki.access.spaces"] = SpaceStore(
        Path(app.config["USERS_DB"]),
        default_read=app.config["READ_ACCESS"],
        known_user=users.stored_name,
    )
    app.extensions["wiki.access.throttle"] = LoginThrottle(
        Path(app.config["USERS_DB"]),
        limit=app.config["LOGIN_ATTEMPTS"],
        window=app.config["LOGIN_WINDOW"],
        address_limit=app.config["LOGIN_ATTEMPTS_PER_ADDRESS"],
    )
    app.session_interface = SessionInterface()
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,
                                x_prefix=hops)
    # under `wiki serve`, a client that stalls while sending a body gets 408
    app.wsgi_app = ClientTimeout(app.wsgi_app, app.config["BODY_READ_TIMEOUT"])
    if app.config["UPSTREAM_URL"]:
        from .git.mirror import Mirror

        mirror = Mirror(storage, app.config["UPSTREAM_URL"], branch=app.config["UPSTREAM_BRANCH"],
                        interval=app.config["SYNC_INTERVAL"])
        app.extensions["wiki"].mirror = mirror
        app.extensions["wiki.git.mirror"] = mirror
        # started by the first request, so that only serving processes (not gunicorn's
        # master, not `wiki init`) run it
        app.before_request(mirror.start)
        atexit.register(mirror.stop)
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # a request body larger than a page plus its form fields is refused with 413
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_PAGE_BYTES"] * 4 + (1 << 16)
    app.config["SESSION_COOKIE_NAME"] = "wiki_session"
    themes.init_app(app)
    auth.init_app(app)
    views.register_blueprints(app)
    atexit.register(storage.close)
    atexit.register(render_store.close)
    atexit.register(links.close)
    atexit.register(app.extensions["wiki"].index.close)
    return app


def configured_app(config: Mapping[str, Any] | None = None) -> Flask:
    """A Flask app with validated configuration and no services yet (used by `wiki init`)."""
    instance = os.environ.get("WIKI_INSTANCE") or None
    if config is not None and config.get("INSTANCE_PATH"):
        instance = str(config["INSTANCE_PATH"])
    app = Flask(
        __name__,
        instance_path=instance and os.path.abspath(instance),
        instance_relative_config=True,
        static_folder=None,
    )
    app.config.from_mapping(DEFAULTS)
    if config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("WIKI")
    else:
        app.config.update(config)
    _fill_paths(app)
    validate_config(app.config)
    return app


def _fill_paths(app: Flask) -> None:
    """Defaults that live in the instance folder, and the generated secret key."""
    instance = Path(app.instance_path)
    if not app.config.get("CONTENT_DIR"):
        app.config["CONTENT_DIR"] = str(instance / "content")
    if not app.config.get("USERS_DB"):
        app.config["USERS_DB"] = str(instance / "users.sqlite")
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = str(Path.cwd() / "search_index")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)


def _instance_secret(instance: Path) -> str:
    """A random key kept in <instance>/secret_key (created once, readable only by us)."""
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker created it a moment ago
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
