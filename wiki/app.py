"""The application factory: `create_app()` builds the services and the Flask app.

Building an app has no side effects beyond opening what it serves: it writes no
git configuration and installs no hooks (that is `wiki init` and `wiki serve`,
see `wiki.git.hooks.prepare`), registers nothing at exit, and starts no thread
(the mirror starts with the first request). `WikiApp.close()` ends what an app
opened: git helper processes, SQLite connections, the search index.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from flask import Flask
from flask import current_app

from .config import DEFAULTS
from .config import validate_config

if TYPE_CHECKING:
    from .access.spaces import SpaceStore
    from .access.throttle import LoginThrottle
    from .access.users import UserStore
    from .community import Community
    from .discussions.service import Discussions
    from .files.previews import Previews
    from .git.mirror import Deliveries
    from .git.mirror import Mirror
    from .git.storage import Storage
    from .pages.linkindex import LinkIndex
    from .pages.rendercache import RenderCache
    from .pages.service import Wiki
    from .records.service import Records
    from .search import SearchIndex


@dataclass
class Services:
    """Everything an app serves from, built once per app (and per worker process)."""

    storage: Storage
    pages: Wiki
    search: SearchIndex
    spaces: SpaceStore
    users: UserStore
    throttle: LoginThrottle
    render_store: RenderCache
    links: LinkIndex
    records: Records
    discussions: Discussions
    community: Community
    mirror: Mirror | None = None
    # per-process caches of drawn HTML (views/__init__.py, views/anoncache.py)
    sidebar: dict = field(default_factory=dict)
    page_cache: Any = None
    _deliveries: Deliveries | None = None
    _previews: Previews | None = None

    def deliveries(self) -> Deliveries:
        """The webhook calls seen lately (opened on first use: only mirrors need it)."""
        if self._deliveries is None:
            from .git.mirror import Deliveries

            self._deliveries = Deliveries(self.storage.git_dir / "wiki" / "webhooks.sqlite")
        return self._deliveries

    def previews(self) -> Previews:
        """Downscaled previews of large images (wiki/files/previews.py), kept on disk."""
        if self._previews is None:
            from .files.previews import Previews

            self._previews = Previews(self.storage.git_dir / "wiki" / "previews")
        return self._previews

    def close(self) -> None:
        """Stop the mirror, then close every store (each close may be called twice)."""
        if self.mirror is not None:
            self.mirror.stop()
        self.pages.close()
        for store in (
            self.community,
            self.search,
            self.links,
            self.render_store,
            self.throttle,
            self.spaces,
            self.users,
            self._deliveries,
            self.storage,
        ):
            if store is not None:
                store.close()


class WikiApp(Flask):
    """A Flask app with its services (`app.services`)."""

    services: Services

    def close(self) -> None:
        self.services.close()


def services() -> Services:
    """The services of the app handling this request (or whose context is pushed)."""
    return current_app.services  # type: ignore[attr-defined]


def create_app(config: Mapping[str, Any] | None = None) -> WikiApp:
    """Build the wiki application; `config` (tests) replaces instance file and environment."""
    from . import i18n
    from . import themes
    from . import views
    from .access import auth
    from .access.auth import SessionInterface
    from .access.spaces import SpaceStore
    from .access.throttle import LoginThrottle
    from .access.users import UserStore
    from .clienttimeout import ClientTimeout
    from .community import Community
    from .discussions.service import Discussions
    from .git.storage import Storage
    from .pages.linkindex import LinkIndex
    from .pages.render import Renderer
    from .pages.rendercache import RenderCache
    from .pages.service import Wiki
    from .records.service import Records
    from .search import SearchIndex

    app = configured_app(config)
    storage = Storage(Path(app.config["CONTENT_DIR"]))
    render_store = RenderCache(storage.git_dir / "wiki" / "render-cache.sqlite")
    links = LinkIndex(storage.git_dir / "wiki" / "links.sqlite")
    search = SearchIndex(
        Path(app.config["SEARCH_INDEX_DIR"]), default_language=app.config["DEFAULT_LANGUAGE"]
    )
    pages = Wiki(
        storage,
        Renderer(link_base="/", edit_base="/-/edit/"),
        max_page_bytes=app.config["MAX_PAGE_BYTES"],
        render_store=render_store,
        links=links,
        index=search,
        follow_in_background=True,
    )
    records = Records(pages)
    pages.validators.append(records.validate)
    pages.reference_finders.append(records.references)
    users_db = Path(app.config["USERS_DB"])
    users = UserStore(users_db, hash_method=app.config["PASSWORD_HASH_METHOD"])
    spaces = SpaceStore(
        users_db, default_read=app.config["READ_ACCESS"], known_user=users.stored_name
    )
    discussions = Discussions(pages)
    community = Community(
        users_db,
        storage=storage,
        discussions=discussions,
        users=users,
        access=spaces.access,
        config=app.config,
    )
    pages.commit_listeners.append(community.wake)
    app.services = Services(
        storage=storage,
        pages=pages,
        search=search,
        users=users,
        spaces=spaces,
        throttle=LoginThrottle(
            users_db,
            limit=app.config["LOGIN_ATTEMPTS"],
            window=app.config["LOGIN_WINDOW"],
            address_limit=app.config["LOGIN_ATTEMPTS_PER_ADDRESS"],
        ),
        render_store=render_store,
        links=links,
        records=records,
        discussions=discussions,
        community=community,
    )
    if not app.testing:
        # the notification round runs in serving processes (started by their first request)
        app.before_request(community.start)
    app.session_interface = SessionInterface()
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    # under `wiki serve`, a client that stalls while sending a body gets 408
    app.wsgi_app = ClientTimeout(app.wsgi_app, app.config["BODY_READ_TIMEOUT"])
    if app.config["UPSTREAM_URL"]:
        from .git.mirror import Mirror

        mirror = Mirror(
            storage,
            app.config["UPSTREAM_URL"],
            branch=app.config["UPSTREAM_BRANCH"],
            interval=app.config["SYNC_INTERVAL"],
        )
        pages.mirror = app.services.mirror = mirror
        # started by the first request, so that only serving processes (not gunicorn's
        # master, not `wiki init`) run it
        app.before_request(mirror.start)
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # a request body larger than a page plus its form fields is refused with 413 (the
    # files API raises the limit for its own requests to MAX_FILE_BYTES)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_PAGE_BYTES"] * 4 + (1 << 16)
    app.config["SESSION_COOKIE_NAME"] = "wiki_session"
    themes.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    views.register_blueprints(app)
    return app


def configured_app(config: Mapping[str, Any] | None = None) -> WikiApp:
    """An app with validated configuration and no services yet (used by `wiki init`)."""
    instance = os.environ.get("WIKI_INSTANCE") or None
    if config is not None and config.get("INSTANCE_PATH"):
        instance = str(config["INSTANCE_PATH"])
    app = WikiApp(
        "wiki",
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
