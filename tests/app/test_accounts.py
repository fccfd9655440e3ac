"""Accounts completed: registration, the admin area, API tokens, reset links, brute-force
limits, security headers and cookie flags."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import csrf_of
from tests.conftest import make_app


def from_address(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def register(client, username="newbie", password="a-good-password", **extra):
    data = {
        "username": username,
        "display_name": "New Bie",
        "email": f"{username}@example.org",
        "password": password,
        "confirm_password": password,
        "csrf_token": csrf_of(client),
    }
    data.update(extra)
    return client.post("/-/register", data=data)


def basic_auth(user: str, secret: str) -> dict:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


def test_registration_is_off_by_default(client):
    assert client.get("/-/register").status_code == 404
    assert register(client).status_code == 404
    assert "Create account" not in client.get("/-/login").get_data(as_text=True)


def test_open_registration_makes_a_reader_who_is_logged_in(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, REGISTRATION="open")
    client = app.test_client()
    assert "Create account" in client.get("/-/login").get_data(as_text=True)
    r = register(client)
    assert r.status_code == 302
    assert "New Bie" in client.get("/").get_data(as_text=True)
    assert app.services.users.by_name("newbie").role == "reader"
    # a taken name or a short password comes back with the form filled in
    other = app.test_client()
    r = register(other, username="newbie")
    assert r.status_code == 400 and "taken" in r.get_data(as_text=True)
    r = register(other, username="another", password="short")
    assert r.status_code == 400 and 'value="another"' in r.get_data(as_text=True)


def test_approval_registration_waits_for_an_admin(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, REGISTRATION="approval")
    client = app.test_client()
    assert register(client).status_code == 302
    r = AuthActions(client).login("newbie", "a-good-password")
    assert r.status_code == 403 and "approval" in r.get_data(as_text=True)
    admin = app.test_client()
    AuthActions(admin).login("admin")
    page = admin.get("/-/admin/users").get_data(as_text=True)
    assert "pending" in page
    assert AuthActions(admin).post("/-/admin/users/newbie/approve").status_code == 302
    assert AuthActions(client).login("newbie", "a-good-password").status_code == 302
    audit = admin.get("/-/admin/audit").get_data(as_text=True)
    assert "user.register" in audit and "user.approve" in audit


@pytest.mark.parametrize("role, status", [(None, 302), ("reader", 403), ("editor", 403)])
def test_only_admins_enter_the_admin_area(client, auth, role, status):
    if role:
        auth.login(role)
    for url in ("/-/admin/users", "/-/admin/spaces", "/-/admin/groups", "/-/admin/audit"):
        assert client.get(url).status_code == status
    r = auth.post("/-/admin/spaces", {"name": "WG9", "read": "members", "write": "members"})
    assert r.status_code in (401, 403)


def test_admin_creates_an_account_with_a_one_time_link(client, auth, app):
    auth.login("admin")
    r = auth.post(
        "/-/admin/users",
        {
            "username": "maria",
            "display_name": "Maria Rossi",
            "email": "maria@example.org",
            "role": "editor",
        },
    )
    assert r.status_code == 201
    link = re.search(r'id="reset-link">([^<]+)<', r.get_data(as_text=True)).group(1)
    path = link.split("localhost", 1)[1]
    assert r.headers["Cache-Control"] == "no-store"
    visitor = app.test_client()
    assert "maria" in visitor.get(path).get_data(as_text=True)
    token = csrf_of(visitor)
    r = visitor.post(
        path, data={"password": "marias-password", "confirm_password": "x", "csrf_token": token}
    )
    assert r.status_code == 400 and "differ" in r.get_data(as_text=True)
    r = visitor.post(
        path,
        data={
            "password": "marias-password",
            "confirm_password": "marias-password",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302
    assert AuthActions(visitor).login("maria", "marias-password").status_code == 302
    # the link works once
    assert app.test_client().get(path).status_code == 404


def test_admin_disables_changes_role_and_resets(client, auth, app):
    users = app.services.users
    editor = app.test_client()
    AuthActions(editor).login("editor")
    auth.login("admin")
    assert auth.post("/-/admin/users/editor/role", {"role": "reader"}).status_code == 302
    assert users.by_name("editor").role == "reader"
    assert auth.post("/-/admin/users/editor/disable").status_code == 302
    assert "Log in" in editor.get("/").get_data(as_text=True)  # its session ended
    assert AuthActions(editor).login("editor").status_code == 403
    assert auth.post("/-/admin/users/editor/enable").status_code == 302
    assert AuthActions(editor).login("editor").status_code == 302
    r = auth.post("/-/admin/users/admin/disable")
    assert r.status_code == 400 and "your own" in r.get_data(as_text=True)
    r = auth.post("/-/admin/users/admin/role", {"role": "reader"})
    assert r.status_code == 400 and users.by_name("admin").role == "admin"
    r = auth.post("/-/admin/users/editor/role", {"role": "emperor"})
    assert r.status_code == 400
    assert auth.post("/-/admin/users/nobody/disable").status_code == 400
    r = auth.post("/-/admin/users/reader/reset")
    assert r.status_code == 200 and "/-/reset/" in r.get_data(as_text=True)
    audit = client.get("/-/admin/audit").get_data(as_text=True)
    for action in ("user.role", "user.disable", "user.enable", "user.reset-link"):
        assert action in audit


def test_admin_manages_spaces_groups_and_members_with_an_audit_trail(client, auth, app):
    auth.login("admin")
    r = auth.post(
        "/-/admin/spaces",
        {"name": "WG4", "title": "WG4 Financing", "read": "members", "write": "members"},
    )
    assert r.status_code == 302
    r = auth.post("/-/admin/spaces", {"name": "../etc", "read": "members", "write": "members"})
    assert r.status_code == 400 and 'value="../etc"' in r.get_data(as_text=True)
    r = auth.post("/-/admin/spaces", {"name": "WG4", "read": "members", "write": "members"})
    assert r.status_code == 400 and "already" in r.get_data(as_text=True)
    assert auth.post("/-/admin/groups", {"name": "pannon", "title": "PBN"}).status_code == 302
    assert auth.post("/-/admin/groups/pannon/add", {"username": "reader"}).status_code == 302
    r = auth.post("/-/admin/groups/pannon/add", {"username": "ghost"})
    assert r.status_code == 400 and "no user" in r.get_data(as_text=True)
    r = auth.post("/-/admin/spaces/WG4/members", {"kind": "group", "member": "pannon"})
    assert r.status_code == 302
    # the reader now reads and writes WG4 through the group; the editor no longer sees it
    reader, editor = app.test_client(), app.test_client()
    AuthActions(reader).login("reader")
    AuthActions(editor).login("editor")
    assert reader.get("/-/edit/WG4/Home").status_code == 200
    assert editor.get("/WG4/Home").status_code == 404
    r = auth.post(
        "/-/admin/spaces/WG4",
        {"title": "WG4", "description": "", "read": "registered", "write": "members"},
    )
    assert r.status_code == 302
    assert editor.get("/WG4/Home").status_code == 200
    assert editor.get("/-/edit/WG4/Home").status_code == 403
    page = client.get("/-/admin/spaces/WG4").get_data(as_text=True)
    assert "space.member.add" in page and "read=registered" in page
    assert (
        auth.post(
            "/-/admin/spaces/WG4/members/remove", {"kind": "group", "member": "pannon"}
        ).status_code
        == 302
    )
    assert reader.get("/-/edit/WG4/Home").status_code == 403
    assert auth.post("/-/admin/spaces/WG4/delete").status_code == 302
    assert editor.get("/-/edit/WG4/Home").status_code == 200  # wiki-wide rules again
    assert client.get("/-/admin/spaces/WG4").status_code == 404


def test_tokens_are_shown_once_stored_hashed_and_revocable(client, auth, app):
    auth.login("editor")
    r = auth.post("/-/account/tokens", {"label": "laptop git"})
    assert r.status_code == 201 and r.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token">([^<]+)<', r.get_data(as_text=True)).group(1)
    assert secret not in client.get("/-/account").get_data(as_text=True)
    stored = app.services.users._db().execute("SELECT token_hash FROM tokens")
    assert secret not in [row[0] for row in stored]
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get("/-/api/v1/pages", headers=bearer).status_code == 200
    r = api.put(
        "/-/api/v1/pages/Token page",
        json={"content": "# T\n"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 201  # no CSRF token needed with a bearer token
    assert app.services.pages.page("Token page").last_change.author.name == "Edit Őrző"
    assert "laptop git" in client.get("/-/account").get_data(as_text=True)
    token_id = app.services.users.tokens("editor")[0].id
    r = auth.post(f"/-/account/tokens/{token_id}/revoke")
    assert r.status_code == 302
    assert (
        api.get("/-/api/v1/pages", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    )
    # someone else's token cannot be revoked by id
    other_secret, other = app.services.users.create_token("reader", "x")
    assert auth.post(f"/-/account/tokens/{other.id}/revoke").status_code == 404
    assert auth.post("/-/account/tokens", {"label": " "}).status_code == 400


def test_changing_the_password_on_the_profile_ends_other_sessions(client, auth, app):
    other = app.test_client()
    AuthActions(other).login("editor")
    auth.login("editor")
    r = auth.post(
        "/-/account/password",
        {"current_password": "wrong", "new_password": "x" * 10, "confirm_password": "x" * 10},
    )
    assert r.status_code == 400
    r = auth.post(
        "/-/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a-new-password",
            "confirm_password": "a-new-password",
        },
    )
    assert r.status_code == 302
    assert "Edit Őrző" in client.get("/").get_data(as_text=True)  # this session goes on
    assert "Log in" in other.get("/").get_data(as_text=True)  # the other one ended


def test_failed_logins_are_cut_off_per_account_across_workers(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo)
    # a second worker: another app on the same database
    worker2 = make_app(
        tmp_path,
        content_repo,
        USERS_DB=app.config["USERS_DB"],
        SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"] + "2",
        _skip_users=True,
    )
    statuses = []
    for i in range(10):
        c = from_address(app if i % 2 else worker2, f"10.0.0.{i}")
        statuses.append(AuthActions(c).login("editor", "wrong-guess").status_code)
    assert statuses == [401] * 10
    c = from_address(app, "10.0.1.1")
    r = AuthActions(c).login("editor", PASSWORD)  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "Too many" in r.get_data(as_text=True)
    # the API's Basic authentication counts and is refused the same way
    import base64

    basic = base64.b64encode(f"editor:{PASSWORD}".encode()).decode()
    r = c.get("/-/api/v1/pages", headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 429 and "Retry-After" in r.headers
    # other accounts are not locked out by it
    assert AuthActions(c).login("reader", PASSWORD).status_code == 302


def test_one_persons_typos_do_not_lock_out_their_office(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo)
    secret, _ = app.services.users.create_token("editor", "laptop")
    office = "198.51.100.7"  # a partner office behind one NAT address
    typist = from_address(app, office)
    for _ in range(10):
        assert AuthActions(typist).login("editor", "wrong-guess").status_code == 401
    # a colleague at the same address logs in, and the account's token keeps working
    assert AuthActions(from_address(app, office)).login("reader").status_code == 302
    bearer = {"Authorization": f"Bearer {secret}"}
    assert typist.get("/-/api/v1/pages", headers=bearer).status_code == 200
    assert typist.get("/-/api/v1/pages", headers=basic_auth("editor", secret)).status_code == 200
    # the account itself takes no more passwords, from there or anywhere else
    for address in (office, "203.0.113.5"):
        r = AuthActions(from_address(app, address)).login("editor")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        r = from_address(app, address).get(
            "/-/api/v1/pages", headers=basic_auth("editor", PASSWORD)
        )
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_many_failures_from_one_address_lock_it_for_passwords(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo)
    secret, _ = app.services.users.create_token("reader", "script")
    address = "192.0.2.7"
    inside = from_address(app, address)
    AuthActions(inside).login("editor")  # logged in before the attack
    attacker = from_address(app, address)
    for i in range(50):  # passwords of many accounts, and made-up tokens: 100 failures
        assert AuthActions(attacker).login(f"guess{i}", "wrong-pass").status_code == 401
        r = attacker.get("/-/api/v1/pages", headers={"Authorization": f"Bearer wiki_guess{i}"})
        assert r.status_code == 401
    r = AuthActions(from_address(app, address)).login("reader")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    r = attacker.get("/-/api/v1/pages", headers=basic_auth("reader", PASSWORD))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert AuthActions(from_address(app, "192.0.2.8")).login("reader").status_code == 302
    # what authenticates is never throttled: a valid token, a session from before
    r = attacker.get("/-/api/v1/pages", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 200
    assert inside.get("/-/edit/Home").status_code == 200


@pytest.mark.parametrize(
    "url", ["/", "/-/login", "/-/api/v1/pages", "/no/such/page", "/-/search?q=x"]
)
def test_security_headers_on_every_response(client, url):
    r = client.get(url)
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    script = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_styles(client, auth):
    auth.login("admin")
    for url in (
        "/",
        "/-/edit/Home",
        "/-/admin/users",
        "/-/account",
        "/-/search?q=wg4",
        "/-/history/Home",
        "/-/spaces",
    ):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert " style=" not in html, url


def test_session_cookie_is_secure_over_https_and_behind_a_trusted_proxy(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo)
    client = app.test_client()
    plain = AuthActions(client).login("editor")
    assert "Secure" not in plain.headers["Set-Cookie"]
    secure = app.test_client()
    token = csrf_of(secure)
    r = secure.post(
        "/-/login",
        base_url="https://localhost",
        data={"username": "editor", "password": PASSWORD, "csrf_token": token},
    )
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert r.headers.get("Strict-Transport-Security")
    proxied = make_app(
        tmp_path / "p", content_repo, TRUSTED_PROXIES=1, USERS_DB=str(tmp_path / "p.sqlite")
    )
    c = proxied.test_client()
    token = csrf_of(c)
    r = c.post(
        "/-/login",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
        data={"username": "editor", "password": PASSWORD, "csrf_token": token},
    )
    assert "Secure" in r.headers["Set-Cookie"]
    # without a trusted proxy the header is ignored
    c = app.test_client()
    token = csrf_of(c)
    r = c.post(
        "/-/login",
        headers={"X-Forwarded-Proto": "https"},
        data={"username": "editor", "password": PASSWORD, "csrf_token": token},
    )
    assert "Secure" not in r.headers["Set-Cookie"]


class SMTPSink:
    """A minimal SMTP server on 127.0.0.1 that keeps the messages it receives."""

    def __init__(self):
        import socketserver
        import threading

        self.messages: list[str] = []
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 sink ready\r\n")
                while line := self.rfile.readline():
                    command = line.decode().strip().upper()
                    if command.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250 sink\r\n")
                    elif command == "DATA":
                        self.wfile.write(b"354 go on\r\n")
                        body = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b""):
                            body.append(data.decode())
                        sink.messages.append("".join(body))
                        self.wfile.write(b"250 queued\r\n")
                    elif command == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_reset_links_are_mailed_when_smtp_is_configured(tmp_path, content_repo):
    sink = SMTPSink()
    try:
        app = make_app(
            tmp_path,
            content_repo,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=sink.port,
            SMTP_SECURITY="none",
            SMTP_FROM="wiki@cluster.example",
        )
        client = app.test_client()
        auth = AuthActions(client)
        auth.login("admin")
        r = auth.post("/-/admin/users/reader/reset")
        assert r.status_code == 200 and "mailed to re@example.org" in r.get_data(as_text=True)
        link = re.search(r'id="reset-link">([^<]+)<', r.get_data(as_text=True)).group(1)
        assert len(sink.messages) == 1
        mail = sink.messages[0]
        assert "To: re@example.org" in mail and "From: wiki@cluster.example" in mail
        assert link in mail.replace("=\r\n", "")
    finally:
        sink.close()


def test_an_unreachable_mail_server_still_shows_the_link(tmp_path, content_repo):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    app = make_app(
        tmp_path, content_repo, SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="none"
    )
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("admin")
    r = auth.post("/-/admin/users/reader/reset")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "/-/reset/" in html and "could not be sent" in html


# -- one identity per name ---------------------------------------------------------------


def _members_only_spaces(app, member="strauss"):
    """WG4 with `member` as a member, and WG6 (with a page) through the group `finance`."""
    spaces = app.services.spaces
    spaces.create_space("WG4", actor="t", read="members", write="members")
    spaces.add_member("WG4", member, actor="t")
    spaces.create_space("WG6", actor="t", read="members", write="members")
    spaces.create_group("finance", actor="t")
    spaces.add_to_group("finance", member, actor="t")
    spaces.add_member("WG6", "finance", actor="t", kind="group")
    app.services.pages.save_page(
        "WG6/Plan", "# Plan\n", author=TEST_AUTHOR, message="", base_revision=None
    )


@pytest.mark.parametrize("squatter", ["strauß", "STRAUSS", "ſtrauss", "ｓｔｒａｕｓｓ"])
def test_a_lookalike_name_cannot_take_over_a_members_rights(tmp_path, content_repo, squatter):
    app = make_app(tmp_path, content_repo, REGISTRATION="open")
    app.services.users.add("strauss", PASSWORD, role="reader")
    _members_only_spaces(app)
    client = app.test_client()
    r = register(client, username=squatter, password="squatters-password")
    assert r.status_code == 400 and "taken" in r.get_data(as_text=True)
    assert AuthActions(client).login(squatter, "squatters-password").status_code == 401
    for url in ("/WG4/Home", "/WG6/Plan", "/-/edit/WG4/Home", "/-/edit/WG6/Plan"):
        assert client.get(url).status_code == 302  # still anonymous: asked to log in
    r = client.put(
        "/-/api/v1/pages/WG6/Plan",
        json={"content": "# Mine\n"},
        headers=basic_auth(squatter, "squatters-password"),
    )
    assert r.status_code == 401
    assert app.services.pages.source("WG6/Plan") == "# Plan\n"
    # the member keeps their rights, by any spelling of their name
    member = app.test_client()
    assert AuthActions(member).login(squatter, PASSWORD).status_code == 302
    assert member.get("/-/edit/WG4/Home").status_code == 200
    assert member.get("/-/edit/WG6/Plan").status_code == 200


def test_accounts_of_an_old_database_sharing_a_name_get_no_membership_by_it(tmp_path, content_repo):
    import sqlite3

    from werkzeug.security import generate_password_hash

    app = make_app(tmp_path, content_repo)
    app.services.users.add("strauss", PASSWORD, role="reader")
    _members_only_spaces(app)
    # an account that the previous version let register (it stored no key)
    db = sqlite3.connect(app.config["USERS_DB"])
    db.execute(
        "INSERT INTO users (username, display_name, email, password_hash, role, "
        "session_version, created) VALUES ('strauß', 'Squatter', 's@x', ?, 'reader', "
        "'v', 'now')",
        (generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"),),
    )
    db.commit()
    db.close()
    app = make_app(
        tmp_path,
        content_repo,
        USERS_DB=app.config["USERS_DB"],
        SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"] + "2",
        _skip_users=True,
    )
    clients = {}
    for name in ("strauß", "strauss"):  # kept apart: each logs in with its own password
        clients[name] = app.test_client()
        assert AuthActions(clients[name]).login(name).status_code == 302
        for url in ("/WG4/Home", "/WG6/Plan", "/-/edit/WG6/Plan"):
            assert clients[name].get(url).status_code == 404, (name, url)
        r = clients[name].put(
            "/-/api/v1/pages/WG6/Plan",
            json={"content": "# Mine\n"},
            headers=basic_auth(name, PASSWORD),
        )
        assert r.status_code == 404
    assert "treats as the same" in clients["strauss"].get("/-/account").get_data(as_text=True)
    # an administrator disables the account that should not have the name
    admin = app.test_client()
    AuthActions(admin).login("admin")
    assert AuthActions(admin).post("/-/admin/users/strauß/disable").status_code == 302
    assert clients["strauss"].get("/-/edit/WG6/Plan").status_code == 200
    assert clients["strauss"].get("/WG4/Home").status_code == 200
    r = AuthActions(admin).post("/-/admin/users/strauß/enable")
    assert r.status_code == 400 and "cannot be enabled" in r.get_data(as_text=True)


@pytest.mark.parametrize("name", ["раdmin", "аdmin", "Εditor"])
def test_names_mixing_scripts_cannot_register(tmp_path, content_repo, name):
    app = make_app(tmp_path, content_repo, REGISTRATION="open")
    r = register(app.test_client(), username=name)
    assert r.status_code == 400 and "scripts" in r.get_data(as_text=True)
    assert app.services.users.by_name(name) is None


def test_admins_cannot_create_a_name_that_is_taken(client, auth, app):
    auth.login("admin")
    r = auth.post(
        "/-/admin/users",
        {"username": "EDITOR", "email": "x@example.org", "password": "a-good-password"},
    )
    assert r.status_code == 400 and "taken" in r.get_data(as_text=True)
    r = auth.post(
        "/-/admin/users",
        {"username": "ｅｄｉｔｏｒ", "email": "x@example.org", "password": "a-good-password"},
    )
    assert r.status_code == 400 and "taken" in r.get_data(as_text=True)
    # admin actions find the account by any spelling and log its stored name
    assert auth.post("/-/admin/users/ＥＤＩＴＯＲ/role", {"role": "reader"}).status_code == 302
    assert app.services.users.by_name("editor").role == "reader"
    assert app.services.spaces.audit(limit=1)[0].target == "editor"


# -- sessions end --------------------------------------------------------------------------


def copy_session(app, client):
    """Another client with a copy of `client`'s session cookie (as a thief would have)."""
    thief = app.test_client()
    thief.set_cookie("wiki_session", client.get_cookie("wiki_session").value)
    return thief


@pytest.mark.parametrize("end", ["logout", "role", "disable", "reset"])
def test_a_copied_session_cookie_stops_working(app, end):
    editor = app.test_client()
    AuthActions(editor).login("editor")
    copy = copy_session(app, editor)
    assert copy.get("/-/edit/Home").status_code == 200
    admin = AuthActions(app.test_client())
    if end == "logout":
        AuthActions(editor).logout()
    elif end == "role":
        admin.login("admin")
        assert admin.post("/-/admin/users/editor/role", {"role": "admin"}).status_code == 302
    elif end == "disable":
        admin.login("admin")
        assert admin.post("/-/admin/users/editor/disable").status_code == 302
        assert admin.post("/-/admin/users/editor/enable").status_code == 302
    else:
        link = app.services.users.create_reset("editor")
        visitor = app.test_client()
        r = visitor.post(
            f"/-/reset/{link}",
            data={
                "password": "a-new-password",
                "confirm_password": "a-new-password",
                "csrf_token": csrf_of(visitor),
            },
        )
        assert r.status_code == 302
    r = copy.get("/-/edit/Home")
    assert r.status_code == 302 and r.headers["Location"].startswith("/-/login")
    assert "Edit Őrző" not in copy.get("/").get_data(as_text=True)


def test_registration_starts_a_fresh_session(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, REGISTRATION="open")
    client = app.test_client()
    before = csrf_of(client)  # a token an attacker could have planted with the session
    assert register(client).status_code == 302
    after = csrf_of(client)
    assert after != before
    r = client.post("/-/logout", data={"csrf_token": before})
    assert r.status_code == 400


# -- token scopes and expiry -----------------------------------------------------------------


def test_read_tokens_read_but_never_write(client, auth, app):
    from datetime import UTC
    from datetime import datetime
    from datetime import timedelta

    auth.login("editor")
    r = auth.post("/-/account/tokens", {"label": "backup", "scope": "read", "days": "30"})
    assert r.status_code == 201
    secret = re.search(r'id="new-token">([^<]+)<', r.get_data(as_text=True)).group(1)
    page = client.get("/-/account").get_data(as_text=True)
    row = page[page.index("<td>backup</td>") :]
    row = row[: row.index("</tr>")]
    assert '"token-scope">read<' in row
    assert f"{datetime.now(UTC) + timedelta(days=30):%Y-%m-%d}" in row and "never" in row
    api = app.test_client()
    wiki = app.services.pages
    head = wiki.head()
    for headers in ({"Authorization": f"Bearer {secret}"}, basic_auth("editor", secret)):
        assert api.get("/-/api/v1/pages/Home", headers=headers).status_code == 200
        r = api.put("/-/api/v1/pages/Home", json={"content": "# No\n"}, headers=headers)
        assert r.status_code == 403 and "only read" in r.get_json()["error"]
        assert api.delete("/-/api/v1/pages/WG4/Guarantees", headers=headers).status_code == 403
    assert wiki.head() == head
    r = auth.post("/-/account/tokens", {"label": "x", "scope": "read", "days": "soon"})
    assert r.status_code == 400 and "days" in r.get_data(as_text=True)
    r = auth.post("/-/account/tokens", {"label": "x", "scope": "root"})
    assert r.status_code == 400


def test_expired_tokens_are_refused_like_wrong_ones(client, app):
    users = app.services.users
    secret, token = users.create_token("editor", "ci", days=1)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/-/api/v1/pages", headers=bearer).status_code == 200
    # the day has passed (its stored expiry moved back rather than waiting a day)
    users._db().execute(
        "UPDATE tokens SET expires = ? WHERE id = ?", ("2001-01-01T00:00:00+00:00", token.id)
    )
    r = client.get("/-/api/v1/pages", headers=bearer)
    wrong = client.get("/-/api/v1/pages", headers={"Authorization": "Bearer wiki_wrong"})
    assert r.status_code == wrong.status_code == 401
    assert r.get_json() == wrong.get_json()
    assert client.get("/-/api/v1/pages", headers=basic_auth("editor", secret)).status_code == 401


def test_enabling_an_account_again_does_not_revive_its_tokens(client, auth, app):
    secret, _ = app.services.users.create_token("editor", "laptop")
    bearer = {"Authorization": f"Bearer {secret}"}
    api = app.test_client()
    assert api.get("/-/api/v1/pages", headers=bearer).status_code == 200
    auth.login("admin")
    assert auth.post("/-/admin/users/editor/disable").status_code == 302
    assert auth.post("/-/admin/users/editor/enable").status_code == 302
    assert api.get("/-/api/v1/pages", headers=bearer).status_code == 401
    assert api.get("/-/api/v1/pages", headers=basic_auth("editor", secret)).status_code == 401
