"""Readers without an account are served whole pages again from memory: never stale,
never someone else's, never past a change of rights."""

import pytest

from tests.conftest import TEST_AUTHOR


@pytest.fixture
def counted(app, monkeypatch):
    """Counts how often a page is drawn from the repository."""
    wiki = app.services.pages
    calls = []
    original = wiki.page

    def page(*args, **kwargs):
        calls.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(wiki, "page", page)
    return calls


def test_anonymous_readers_get_no_cookie_and_a_kept_page(client, counted):
    first = client.get("/WG4/Home")
    assert first.status_code == 200 and "Set-Cookie" not in first.headers
    again = client.get("/WG4/Home")
    assert again.get_data() == first.get_data()
    assert counted == ["WG4/Home"]  # drawn once
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_save_shows_at_once(client, app, counted):
    client.get("/WG4/Home")
    wiki = app.services.pages
    wiki.save_page(
        "WG4/Home",
        "# WG4\n\nFresh text.\n",
        author=TEST_AUTHOR,
        message="",
        base_revision=wiki.head(),
    )
    assert "Fresh text." in client.get("/WG4/Home").get_data(as_text=True)


def test_closing_a_space_ends_what_anonymous_readers_were_given(client, app):
    assert client.get("/WG4/Home").status_code == 200
    app.services.spaces.create_space("WG4", actor="ada", read="members")
    r = client.get("/WG4/Home")
    assert r.status_code != 200 and "WG4 Financing" not in r.get_data(as_text=True)


def test_signed_in_users_and_flash_messages_are_never_served_from_it(client, auth, counted):
    anonymous = client.get("/WG4/Home").get_data(as_text=True)
    assert "Log in" in anonymous
    auth.login("editor")
    mine = client.get("/WG4/Home").get_data(as_text=True)
    assert "Log out" in mine and "Edit Őrző" in mine
    auth.logout()
    after = client.get("/WG4/Home", follow_redirects=True).get_data(as_text=True)
    assert "Log out" not in after
    assert counted.count("WG4/Home") >= 2
