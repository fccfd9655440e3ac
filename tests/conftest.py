"""Fixtures: a real temporary content repository, an app, clients logged in by role."""

from __future__ import annotations

import re

import pytest

import wiki.app
from wiki.app import create_app
from wiki.git.hooks import prepare
from wiki.git.storage import Storage
from wiki.model import Author

TEST_AUTHOR = Author("Test Author", "test@example.org")
PASSWORD = "correct-horse-battery"
SEED = {
    "Home.md": "# Home\n\nWelcome. See [[WG4/Home]] and [[Missing page]].\n",
    "WG4/Home.md": "---\ntitle: WG4 Financing\nwg: WG4\ntags: [financing]\n---\n# WG4\n\nText.\n",
    "WG4/Guarantees.md": "# Guarantees\n\nLinks back to [[WG4/Home|the group]].\n",
}


@pytest.fixture(autouse=True)
def close_apps(monkeypatch):
    """Close every app a test built (as a worker does when it stops): its search index,
    git processes and databases. Apps of module-scoped fixtures close themselves."""
    made = []
    configured = wiki.app.configured_app

    def tracked(*args, **kwargs):
        made.append(configured(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(wiki.app, "configured_app", tracked)
    yield
    for app in made:
        if hasattr(app, "services"):
            app.close()


@pytest.fixture
def content_repo(tmp_path):
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {k: v.encode() for k, v in SEED.items()}, author=TEST_AUTHOR, message="seed"
    )
    yield storage
    storage.close()


def make_app(tmp_path, content_repo, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "CONTENT_DIR": str(content_repo.root),
        "USERS_DB": str(tmp_path / "users.sqlite"),
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    skip_users = overrides.pop("_skip_users", False)
    config.update(overrides)
    app = create_app(config)
    prepare(content_repo.git_dir)  # what `wiki init` and `wiki serve` do: the push hook
    app.services.pages.rebuild_index()
    if skip_users:  # another worker on the same accounts database
        return app
    users = app.services.users
    users.add("admin", PASSWORD, role="admin", email="admin@example.org", display_name="Ada Admin")
    users.add("editor", PASSWORD, role="editor", email="ed@example.org", display_name="Edit Őrző")
    users.add("editor2", PASSWORD, role="editor", email="ed2@example.org", display_name="Bea Both")
    users.add("reader", PASSWORD, role="reader", email="re@example.org", display_name="Rita Reader")
    return app


@pytest.fixture
def app(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo)
    yield app
    app.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_of(client) -> str:
    """The CSRF token of the client's session (fetching a page creates it)."""
    with client.session_transaction() as session:
        token = session.get("csrf")
    if token:
        return token
    html = client.get("/-/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class AuthActions:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str = "editor", password: str = PASSWORD):
        token = csrf_of(self.client)
        return self.client.post(
            "/-/login", data={"username": username, "password": password, "csrf_token": token}
        )

    def logout(self):
        return self.client.post("/-/logout", data={"csrf_token": csrf_of(self.client)})

    def post(self, url: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_of(self.client))
        return self.client.post(url, data=data, **kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)


def pytest_collection_modifyitems(config, items):
    """Tests that start real servers or a browser are `slow` (`make test-fast` skips them)."""
    for item in items:
        if item.get_closest_marker("browser") or {"served", "server"} & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)
