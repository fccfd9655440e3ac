"""The admin area's comforts: registration chosen in the browser (at once, audited),
the count of sign-ups waiting, copy buttons, and the mirror tab when mirroring is off."""

from __future__ import annotations

import re

from tests.conftest import AuthActions
from tests.conftest import csrf_of
from tests.conftest import make_app


def register(client, username):
    password = "a-good-password"
    return client.post(
        "/-/register",
        data={
            "username": username,
            "display_name": username.title(),
            "email": f"{username}@example.org",
            "password": password,
            "confirm_password": password,
            "csrf_token": csrf_of(client),
        },
    )


def as_user(app, username):
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def choose(admin, mode):
    return AuthActions(admin).post("/-/admin/registration", {"mode": mode})


def test_registration_chosen_by_an_admin_applies_at_once(app):
    admin = as_user(app, "admin")
    visitor = app.test_client()
    assert visitor.get("/-/register").status_code == 404
    page = admin.get("/-/admin/users").get_data(as_text=True)
    assert "the default until an administrator chooses here" in page
    # an anonymous reader's page is kept and served again: it must not keep the old link
    assert "Create account" not in app.test_client().get("/").get_data(as_text=True)

    r = choose(admin, "open")
    assert r.status_code == 302
    assert "Registration is now open" in admin.get("/-/admin/users").get_data(as_text=True)
    assert visitor.get("/-/register").status_code == 200
    assert "Create one" in visitor.get("/-/login").get_data(as_text=True)
    assert "Create account" in app.test_client().get("/").get_data(as_text=True)
    assert register(visitor, "opener").status_code == 302
    assert app.services.users.by_name("opener").is_active

    assert choose(admin, "approval").status_code == 302
    assert register(app.test_client(), "waiter").status_code == 302
    assert app.services.users.by_name("waiter").pending
    page = admin.get("/-/admin/users").get_data(as_text=True)
    assert "Chosen here" in page and "Use the setting REGISTRATION (off) again" in page

    # back to the configuration's value (off)
    assert choose(admin, "default").status_code == 302
    assert app.test_client().get("/-/register").status_code == 404
    assert "Create account" not in app.test_client().get("/").get_data(as_text=True)

    audit = admin.get("/-/admin/audit").get_data(as_text=True)
    assert "off -&gt; open" in audit and "approval -&gt; off" in audit


def test_a_bad_registration_mode_or_a_non_admin_is_refused(app):
    admin = as_user(app, "admin")
    r = choose(admin, "everyone")
    assert r.status_code == 400 and "Registration is one of" in r.get_data(as_text=True)
    editor = as_user(app, "editor")
    assert choose(editor, "open").status_code == 403
    r = admin.post("/-/admin/registration", data={"mode": "open"})  # no CSRF token
    assert r.status_code == 400
    assert app.test_client().get("/-/register").status_code == 404


def test_the_configured_mode_is_the_default(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, REGISTRATION="open")
    try:
        assert app.test_client().get("/-/register").status_code == 200
        admin = as_user(app, "admin")
        page = admin.get("/-/admin/users").get_data(as_text=True)
        assert re.search(r'<option value="open" selected>', page)
        assert choose(admin, "off").status_code == 302
        assert app.test_client().get("/-/register").status_code == 404
    finally:
        app.close()


def test_sign_ups_waiting_are_counted_for_admins_only(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, REGISTRATION="approval")
    try:
        for name in ("newbie", "another"):
            assert register(app.test_client(), name).status_code == 302
        admin = as_user(app, "admin")
        page = admin.get("/").get_data(as_text=True)
        admin_link = re.search(r'<a href="/-/admin/users">Admin(.*?)</a>', page).group(1)
        assert '<span class="count-badge"' in admin_link and ">2</span>" in admin_link
        users_tab = admin.get("/-/admin/users").get_data(as_text=True)
        assert "2 accounts wait for your approval" in users_tab
        assert re.search(r'Accounts <span class="count-badge"[^>]*>2</span>', users_tab)

        for who in ("editor", "reader"):
            assert "count-badge" not in as_user(app, who).get("/").get_data(as_text=True)
        assert "count-badge" not in app.test_client().get("/").get_data(as_text=True)

        AuthActions(admin).post("/-/admin/users/newbie/approve")
        AuthActions(admin).post("/-/admin/users/another/approve")
        page = admin.get("/").get_data(as_text=True)
        assert "count-badge" not in page
    finally:
        app.close()


def test_the_pending_count_is_one_indexed_count(app):
    plan = (
        app.services.users._db()
        .execute("EXPLAIN QUERY PLAN SELECT count(*) FROM users WHERE pending = 1")
        .fetchall()
    )
    assert "users_pending" in str(plan)


def test_mirror_tab_explains_how_to_turn_mirroring_on(app):
    admin = as_user(app, "admin")
    page = admin.get("/-/admin/users").get_data(as_text=True)
    assert 'href="/-/admin/mirror"' in page  # the tab is there without a mirror
    r = admin.get("/-/admin/mirror")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert "Mirroring is off" in text
    for key in ("UPSTREAM_URL", "UPSTREAM_BRANCH", "SYNC_SECRET", "SYNC_INTERVAL"):
        assert f"<code>{key}</code>" in text
    assert "config.py" in text and "WIKI_" in text
    assert as_user(app, "editor").get("/-/admin/mirror").status_code == 403
    # its actions still need a mirror
    assert AuthActions(admin).post("/-/admin/mirror/sync").status_code == 404


def test_copy_buttons_for_reset_links_tokens_and_the_clone_address(app):
    admin = as_user(app, "admin")
    page = AuthActions(admin).post("/-/admin/users/editor/reset").get_data(as_text=True)
    assert 'data-copy="reset-link"' in page and "copy.js" in page

    r = AuthActions(admin).post("/-/account/tokens", {"label": "laptop", "scope": "read"})
    page = r.get_data(as_text=True)
    assert 'data-copy="new-token"' in page and "copy.js" in page
    clone = re.search(r'id="clone-command">([^<]+)<', page).group(1)
    assert clone == "git clone http://admin@localhost/-/git/content.git"
    assert 'data-copy="clone-command"' in page
    # the profile without a new token has no copy script
    assert "copy.js" not in admin.get("/-/account").get_data(as_text=True)
