"""Front matter that would expand (YAML aliases) is refused everywhere, at once."""

import time

from tests.unit.test_frontmatter import BOMB

MESSAGE = "Front matter line 3: anchors and aliases (&name, *name) are not allowed."


def test_preview_refuses_the_alias_bomb_at_once(client, auth):
    auth.login("editor")
    started = time.monotonic()
    r = auth.post("/-/preview", {"content": BOMB, "name": "WG4/X"})
    assert time.monotonic() - started < 2 and len(r.data) < 100_000
    assert r.status_code == 400 and r.headers["X-Preview-Problem"] == "1"
    assert MESSAGE.replace("(&name, *name)", "(&amp;name, *name)") in r.get_data(as_text=True)


def test_a_save_is_refused_naming_the_line_and_the_text_comes_back(client, auth, app):
    auth.login("editor")
    head = app.services.pages.head()
    r = auth.post("/-/edit/WG4/Bomb", {"content": BOMB, "base_revision": ""})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "Front matter line 3: anchors and aliases" in html
    assert "e: &amp;e [*d" in html  # the user's text, handed back
    assert app.services.pages.head() == head


def test_the_api_refuses_it_too(client, app):
    from tests.app.test_api import basic  # the editor's Basic credentials

    r = client.put("/-/api/v1/pages/WG4/Bomb", json={"content": BOMB}, headers=basic())
    assert r.status_code == 400 and r.get_json()["error"] == MESSAGE
