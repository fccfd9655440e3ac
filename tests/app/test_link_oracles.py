"""A link to a page the reader may not read looks the same whether that page exists or not:
in the preview and in page views (the render cache included)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import csrf_of
from tests.conftest import make_app

LINKS = "See [[WG4/Secret plan]] and [[WG4/No such plan]] and [[Public/Missing]].\n"


@pytest.fixture
def wiki(tmp_path, content_repo):
    content_repo.import_files(
        {
            "WG4/Secret plan.md": b"# Secret plan\n\nMembers only.\n",
            "Public/Links.md": ("# Links\n\n" + LINKS).encode(),
        },
        author=TEST_AUTHOR,
        message="pages",
    )
    app = make_app(tmp_path, content_repo)
    spaces = app.services.spaces
    app.services.users.add("member", PASSWORD, role="editor", email="m@example.org")
    spaces.create_space("Public", actor="t", read="anonymous", write="editors")
    spaces.create_space("WG4", actor="t", read="members", write="members")
    spaces.add_member("WG4", "member", actor="t")
    yield app
    app.close()


def _link(html: str, name: str) -> str:
    """The <a> drawn for a wikilink to `name`, with the name taken out."""
    quoted = name.replace(" ", "%20")
    tag = re.search(rf'<a [^>]*href="[^"]*{re.escape(quoted)}"[^>]*>', html).group(0)
    return tag.replace(quoted, "NAME")


def _preview(client, text: str) -> str:
    r = client.post(
        "/-/preview", data={"content": text, "name": "Public/Draft", "csrf_token": csrf_of(client)}
    )
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_preview_draws_unreadable_pages_alike_existing_or_not(wiki):
    client = wiki.test_client()
    AuthActions(client).login("editor")  # writes Public, may not read WG4
    html = _preview(client, LINKS)
    assert _link(html, "WG4/Secret plan") == _link(html, "WG4/No such plan")
    assert "missing" in _link(html, "Public/Missing")  # a readable missing page still shows


def test_a_member_still_sees_which_linked_pages_are_missing(wiki):
    client = wiki.test_client()
    AuthActions(client).login("member")
    html = _preview(client, LINKS)
    assert "missing" not in _link(html, "WG4/Secret plan")
    assert "missing" in _link(html, "WG4/No such plan")


@pytest.mark.parametrize("first", ["member", "editor", "anonymous"])
def test_page_views_draw_unreadable_pages_alike_whoever_rendered_first(wiki, first):
    # whoever views first fills the render cache: the others must not get their drawing
    order = [first] + [u for u in ("member", "editor", "anonymous") if u != first]
    pages = {}
    for user in order:
        client = wiki.test_client()
        if user != "anonymous":
            AuthActions(client).login(user)
        r = client.get("/Public/Links")
        assert r.status_code == 200
        pages[user] = r.get_data(as_text=True)
    for user in ("editor", "anonymous"):
        html = pages[user]
        assert _link(html, "WG4/Secret plan") == _link(html, "WG4/No such plan")
    member = pages["member"]
    assert "missing" in _link(member, "WG4/No such plan")
    assert "missing" not in _link(member, "WG4/Secret plan")
