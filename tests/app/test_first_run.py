"""First run: with no administrator, `wiki serve` prints a one-time setup address that
creates the first one in the browser; it works once and only while no admin exists."""

from __future__ import annotations

import re
import sqlite3
import threading

import pytest
from click.testing import CliRunner

from tests.conftest import csrf_of
from tests.conftest import make_app
from wiki.access.settings import setup_digest
from wiki.cli import main

GOOD = "a-long-admin-password"


@pytest.fixture
def fresh(tmp_path, content_repo):
    """An app whose accounts database has no account yet, and a setup token."""
    app = make_app(tmp_path, content_repo, _skip_users=True)
    yield app, app.services.users.new_setup_token()
    app.close()


def fill(client, url, **changes):
    data = {
        "username": "boss",
        "display_name": "Bo Boss",
        "email": "boss@example.org",
        "password": GOOD,
        "confirm_password": GOOD,
        "csrf_token": csrf_of(client),
    }
    data.update(changes)
    return client.post(url, data=data)


def opened(client, token):
    """The browser opens the printed address: on to the form, the token kept as a hash."""
    r = client.get(f"/-/setup/{token}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/-/setup"), r.status_code
    return r


def seen(response) -> str:
    return response.get_data(as_text=True) + str(response.headers)


def test_the_setup_address_creates_the_first_admin_once(fresh):
    app, token = fresh
    url = "/-/setup"
    client = app.test_client()
    answers = [opened(client, token)]

    page = client.get(url)
    answers.append(page)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Create the first administrator" in html
    for field in ("username", "display_name", "email", "password", "confirm_password"):
        assert f'name="{field}"' in html
    assert 'name="csrf_token"' in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page.headers["Cache-Control"]

    # mistakes keep the address working and the form filled in
    answers.append(r := fill(client, url, confirm_password="something-else"))
    assert r.status_code == 400 and "The two passwords differ" in r.get_data(as_text=True)
    answers.append(r := fill(client, url, username="x"))
    assert r.status_code == 400 and "2 to 40" in r.get_data(as_text=True)
    answers.append(r := fill(client, url, password="short", confirm_password="short"))
    assert r.status_code == 400 and 'value="boss"' in r.get_data(as_text=True)
    answers.append(r := client.post(url, data={"username": "boss", "password": GOOD}))
    assert r.status_code == 400  # no CSRF token
    assert app.services.users.count() == 0

    answers.append(r := fill(client, url))
    assert r.status_code == 302 and r.headers["Location"].endswith("/-/admin/users")
    boss = app.services.users.by_name("boss")
    assert boss.role == "admin" and boss.display_name == "Bo Boss"
    answers.append(r := client.get("/-/admin/users"))
    assert r.status_code == 200 and "You are the administrator" in r.get_data(as_text=True)

    # a second use, from anyone, creates nothing and says why
    other = app.test_client()
    answers.append(r := other.get(f"/-/setup/{token}", follow_redirects=True))
    assert r.status_code == 410 and "administrator already" in r.get_data(as_text=True)
    answers.append(r := fill(other, url, username="second"))
    assert r.status_code == 410
    assert app.services.users.count("admin") == 1
    assert app.services.users.by_name("second") is None

    leaks = [seen(a) for a in answers if token in seen(a)]
    assert not leaks, leaks[0][:3000]
    # only the hash is stored
    db = sqlite3.connect(app.config["USERS_DB"])
    assert token not in str(db.execute("SELECT * FROM settings").fetchall())
    db.close()


def test_a_wrong_token_is_refused(fresh):
    app, token = fresh
    client = app.test_client()
    for wrong in ("nope", token[:-1] + ("A" if token[-1] != "A" else "B")):
        r = client.get(f"/-/setup/{wrong}", follow_redirects=True)
        assert r.status_code == 404 and "not valid" in r.get_data(as_text=True)
        assert wrong not in r.get_data(as_text=True)
    assert fill(client, "/-/setup").status_code == 404
    # the form without having opened the address
    assert app.test_client().get("/-/setup").status_code == 404
    assert app.services.users.count() == 0
    opened(client, token)
    assert client.get("/-/setup").status_code == 200


def test_an_admin_made_on_the_command_line_ends_the_address(fresh):
    app, token = fresh
    client = app.test_client()
    opened(client, token)  # the form is open when someone runs `wiki user add`
    app.services.users.add("cli-admin", GOOD, role="admin")
    r = fill(client, "/-/setup")
    assert r.status_code == 410 and "administrator already" in r.get_data(as_text=True)
    r = client.get(f"/-/setup/{token}", follow_redirects=True)
    assert r.status_code == 410 and "administrator already" in r.get_data(as_text=True)
    assert app.services.users.count("admin") == 1
    assert app.services.users.new_setup_token() is None


def test_two_posts_at_once_make_one_admin(fresh):
    app, token = fresh
    clients = [app.test_client() for _ in range(4)]
    for c in clients:
        opened(c, token)
    tokens = [csrf_of(c) for c in clients]
    start = threading.Barrier(len(clients))
    statuses = []

    def post(i):
        start.wait()
        r = clients[i].post(
            "/-/setup",
            data={
                "username": f"boss{i}",
                "email": f"b{i}@example.org",
                "password": GOOD,
                "confirm_password": GOOD,
                "csrf_token": tokens[i],
            },
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(302) == 1, statuses
    assert set(statuses) - {302} <= {404, 410}
    assert app.services.users.count("admin") == 1


def test_a_new_token_ends_the_previous_one(fresh):
    app, token = fresh
    newer = app.services.users.new_setup_token()
    client = app.test_client()
    assert client.get(f"/-/setup/{token}", follow_redirects=True).status_code == 404
    opened(client, newer)
    assert client.get("/-/setup").status_code == 200


# -- the command line ----------------------------------------------------------------


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKI_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("WIKI_SEARCH_INDEX_DIR", str(tmp_path / "search_index"))
    monkeypatch.setenv("WIKI_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    served = []
    monkeypatch.setattr("wiki.server.run", lambda *a, **k: served.append(k))
    return served


def test_serve_prints_the_setup_address_while_no_admin_exists(env, tmp_path):
    runner = CliRunner()
    init = runner.invoke(main, ["init"])
    assert init.exit_code == 0, init.output
    assert "No administrator yet" in init.output and "wiki serve" in init.output
    assert "stop the server" not in init.output

    result = runner.invoke(main, ["serve", "--host", "127.0.0.1", "--port", "5099"])
    assert result.exit_code == 0, result.output
    assert env and env[0]["port"] == 5099  # gunicorn was started after it
    found = re.search(
        r"Open (http://127\.0\.0\.1:5099/-/setup/(\S+)) to create the first", result.output
    )
    assert found, result.output
    assert "stop the server" not in result.output
    assert "wiki user add" in result.output  # the other way, while the server runs

    # the printed address is the one the wiki accepts
    from wiki.app import create_app

    app = create_app()
    try:
        assert app.services.users.setup_valid(setup_digest(found.group(2)))
        opened(app.test_client(), found.group(2))
    finally:
        app.close()

    # a wildcard address is printed as one to open on this machine
    wildcard = runner.invoke(main, ["serve", "--host", "0.0.0.0", "--port", "8000"])
    assert "Open http://127.0.0.1:8000/-/setup/" in wildcard.output

    added = runner.invoke(
        main, ["user", "add", "root", "--role", "admin", "--password-stdin"], input=GOOD + "\n"
    )
    assert added.exit_code == 0, added.output
    again = runner.invoke(main, ["serve", "--port", "5099"])
    assert again.exit_code == 0 and "/-/setup/" not in again.output
    assert "No administrator" not in runner.invoke(main, ["init"]).output


def test_setup_link_command(env):
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    result = runner.invoke(main, ["user", "setup-link", "--base-url", "https://wiki.example.org/"])
    assert result.exit_code == 0
    assert re.fullmatch(r"https://wiki\.example\.org/-/setup/\S{40,}\n", result.output)
    runner.invoke(
        main, ["user", "add", "root", "--role", "admin", "--password-stdin"], input=GOOD + "\n"
    )
    refused = runner.invoke(main, ["user", "setup-link"])
    assert refused.exit_code == 1 and "administrator already" in refused.output
