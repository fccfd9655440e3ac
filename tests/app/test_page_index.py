"""The all-pages index draws large folders closed and loads them when opened."""

import re

import pytest

from wiki.views import site


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(site, "INDEX_INLINE_LIMIT", 1)  # WG4 (2 pages) counts as large


def test_small_folders_are_drawn_in_place(client):
    html = client.get("/-/pages").get_data(as_text=True)
    assert 'href="/WG4/Guarantees"' in html and "data-folder" not in html


def test_large_folders_are_loaded_when_opened(client, small_limit):
    html = client.get("/-/pages").get_data(as_text=True)
    index = html.split('class="page-index"', 1)[1]
    assert 'data-folder="WG4"' in index and 'href="/WG4/Guarantees"' not in index
    assert 'href="/-/pages?folder=WG4"' in index  # without JavaScript: a link
    part = client.get("/-/pages/part?folder=WG4")
    assert part.status_code == 200 and "<html" not in part.get_data(as_text=True)
    assert re.findall(r'href="(/WG4/[^"]+)"', part.get_data(as_text=True)) == [
        "/WG4/Guarantees",
        "/WG4/Home",
    ]
    folder = client.get("/-/pages?folder=WG4").get_data(as_text=True)
    assert 'href="/WG4/Guarantees"' in folder


def test_a_folder_one_may_not_read_looks_missing(client, app, small_limit):
    app.services.spaces.create_space("WG4", actor="ada", read="members")
    hidden = client.get("/-/pages/part?folder=WG4")
    missing = client.get("/-/pages/part?folder=Nowhere")
    assert hidden.status_code == missing.status_code == 404
    # the same page, but for the address it names (the login link returns to it)
    assert hidden.get_data().replace(b"WG4", b"X") == missing.get_data().replace(b"Nowhere", b"X")
    assert (
        "WG4" not in client.get("/-/pages").get_data(as_text=True).split('class="page-index"', 1)[1]
    )
