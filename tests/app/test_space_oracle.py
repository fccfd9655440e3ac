"""/-/spaces/<name> says nothing about a space the user may not read: it looks missing."""

import pytest


@pytest.fixture
def private(app):
    app.services.spaces.create_space("Secret", actor="ada", read="members")


def _answer(client, name):
    r = client.get(f"/-/spaces/{name}")
    return (
        r.status_code,
        r.headers.get("Location", "").replace(name, "X"),
        r.get_data(as_text=True).replace(name, "X"),
    )


def test_anonymous_visitors_get_the_same_answer(client, private):
    assert _answer(client, "Secret") == _answer(client, "Nosuch")
    assert _answer(client, "Secret")[0] == 302  # logging in may help, for both


@pytest.mark.parametrize("user", ["reader", "editor"])
def test_non_members_get_the_same_answer(client, auth, private, user):
    auth.login(user)
    client.get("/")  # shows the welcome message
    secret, missing = _answer(client, "Secret"), _answer(client, "Nosuch")
    assert secret == missing and secret[0] == 404


def test_members_and_admins_see_the_space(client, auth, app, private):
    auth.login("admin")
    assert client.get("/-/spaces/Secret").status_code == 200
