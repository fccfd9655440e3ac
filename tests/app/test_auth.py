import pytest

from tests.conftest import PASSWORD
from tests.conftest import make_app

WRITE_FORMS = [
    ("/-/edit/Home", {"content": "# changed\n", "base_revision": ""}),
    ("/-/restore/Home", {"revision": "0" * 40}),
    ("/-/rename/WG4/Guarantees", {"new_name": "X"}),
    ("/-/delete/WG4/Guarantees", {}),
]
WRITE_PAGES = [
    "/-/edit/Home",
    "/-/edit/New page",
    "/-/rename/WG4/Guarantees",
    "/-/delete/WG4/Guarantees",
]
READ_PAGES = [
    "/",
    "/WG4/Home",
    "/-/history/Home",
    "/-/diff/Home",
    "/-/recent",
    "/-/recent.atom",
    "/-/pages",
    "/-/backlinks/WG4/Home",
    "/-/raw/Home",
    "/-/search?q=x",
    "/-/api/v1/pages",
    "/-/api/v1/pages/Home",
    "/-/api/v1/pages/Home/history",
]


@pytest.mark.parametrize("url", READ_PAGES)
@pytest.mark.parametrize("role", [None, "reader", "editor", "admin"])
def test_everyone_reads_by_default(client, auth, role, url):
    if role:
        auth.login(role)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", WRITE_PAGES)
def test_anonymous_is_sent_to_login_for_write_pages(client, url):
    r = client.get(url)
    assert r.status_code == 302 and r.headers["Location"].startswith("/-/login?next=")


@pytest.mark.parametrize("url", WRITE_PAGES)
def test_readers_may_not_open_write_pages(client, auth, url):
    auth.login("reader")
    r = client.get(url)
    assert r.status_code == 403
    assert "editor role" in r.get_data(as_text=True)


@pytest.mark.parametrize("url, data", WRITE_FORMS)
@pytest.mark.parametrize("role, expected", [(None, 401), ("reader", 403)])
def test_writes_are_refused_without_the_right(client, auth, app, role, expected, url, data):
    if role:
        auth.login(role)
    head = app.services.pages.head()
    r = auth.post(url, data)
    assert r.status_code == expected
    assert app.services.pages.head() == head


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_editors_and_admins_write(client, auth, app, role):
    auth.login(role)
    r = auth.post(
        "/-/edit/Home",
        {"content": "# by " + role + "\n", "base_revision": app.services.pages.head()},
    )
    assert r.status_code == 302
    assert app.services.pages.source("Home") == "# by " + role + "\n"


def test_pages_hide_edit_actions_from_readers(client, auth):
    auth.login("reader")
    html = client.get("/WG4/Home").get_data(as_text=True)
    assert "/-/edit/WG4/Home" not in html and "/-/delete/" not in html
    auth.logout()
    auth.login("editor")
    html = client.get("/WG4/Home").get_data(as_text=True)
    assert "/-/edit/WG4/Home" in html and "/-/delete/WG4/Home" in html


@pytest.fixture
def private_app(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, READ_ACCESS="registered")
    yield app
    app.close()


@pytest.mark.parametrize("url", READ_PAGES)
def test_registered_read_access_hides_everything_from_anonymous(private_app, url):
    client = private_app.test_client()
    r = client.get(url)
    if url.startswith("/-/api/"):
        assert r.status_code == 401 and r.get_json()["error"]
    else:
        assert r.status_code == 302 and "/-/login" in r.headers["Location"]
    assert b"Welcome" not in r.data


def test_registered_read_access_lets_readers_in(private_app):
    from tests.conftest import AuthActions

    client = private_app.test_client()
    AuthActions(client).login("reader")
    assert client.get("/").status_code == 200
    assert client.get("/-/health").status_code == 200


def test_preview_is_for_writers(client, auth):
    auth.login("reader")
    assert auth.post("/-/preview", {"content": "x"}).status_code == 403


def test_preview_needs_read_access(private_app):
    client = private_app.test_client()
    from tests.conftest import AuthActions

    r = AuthActions(client).post("/-/preview", {"content": "x"})
    assert r.status_code == 401


# -- CSRF -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, data", WRITE_FORMS + [("/-/preview", {"content": "x"}), ("/-/logout", {})]
)
def test_posts_without_csrf_token_are_rejected(client, auth, app, url, data):
    auth.login("editor")
    head = app.services.pages.head()
    r = client.post(url, data=data)
    assert r.status_code == 400
    r = client.post(url, data={**data, "csrf_token": "forged"})
    assert r.status_code == 400
    assert app.services.pages.head() == head


def test_a_save_with_an_expired_token_hands_the_text_back(client, auth, app):
    auth.login("editor")
    head = app.services.pages.head()
    r = client.post(
        "/-/edit/Home",
        data={"content": "text I typed for an hour", "base_revision": head, "csrf_token": "stale"},
    )
    assert r.status_code == 400
    assert "text I typed for an hour" in r.get_data(as_text=True)
    assert app.services.pages.head() == head


def test_login_form_needs_csrf(client):
    r = client.post("/-/login", data={"username": "editor", "password": PASSWORD})
    assert r.status_code == 400


# -- login and logout -------------------------------------------------------------------


def test_login_logout(client, auth):
    r = auth.login("editor")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert "Edit Őrző" in client.get("/").get_data(as_text=True)
    r = auth.logout()
    assert r.status_code == 302
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_wrong_password(client, auth):
    r = auth.login("editor", "wrong-password")
    assert r.status_code == 401
    assert "Wrong user name or password" in r.get_data(as_text=True)
    assert auth.login("nobody", "whatever-pw").status_code == 401


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/WG4/Home", "/WG4/Home"),
        ("/-/history/Home?page=2", "/-/history/Home?page=2"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example", "/"),
        ("https:evil.example", "/"),
        ("%2F%2Fevil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("%252F%252Fevil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("%2F%5Cevil.example", "/"),
        ("https%3A%2F%2Fevil.example", "/"),
        ("https%3Aevil.example", "/"),
        ("/%09/evil.example", "/"),
        ("", "/"),
    ],
)
def test_login_next_never_leaves_the_site(client, target, expected):
    from tests.conftest import csrf_of

    token = csrf_of(client)
    r = client.post(
        "/-/login",
        data={"username": "editor", "password": PASSWORD, "next": target, "csrf_token": token},
    )
    assert r.status_code == 302
    assert r.headers["Location"] == expected


def test_disabled_accounts_cannot_log_in(client, auth, app):
    users = app.services.users
    users.set_disabled("editor", True)
    r = auth.login("editor")
    assert r.status_code == 403 and "disabled" in r.get_data(as_text=True)
    assert "Edit Őrző" not in client.get("/").get_data(as_text=True)
    # a wrong password says nothing about the account's state
    r = auth.login("editor", "wrong-password")
    assert r.status_code == 401 and "disabled" not in r.get_data(as_text=True)


def test_password_change_ends_other_sessions(client, auth, app):
    auth.login("editor")
    assert "Edit Őrző" in client.get("/").get_data(as_text=True)
    app.services.users.set_password("editor", "a-new-password-1")
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_session_cookie_flags(client, auth):
    r = auth.login("editor")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
