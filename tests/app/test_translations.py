"""Pages that are translations of each other: "Also in" with the reader's language
first, "may be outdated" with the original's changes since, and Translate this page."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote
from urllib.parse import unquote

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import make_app
from wiki.git.storage import Storage

ORIGINAL = (
    "---\ntags: [results]\n---\n# Results report\n\n## Findings\n\nText.\n\n"
    "## Next steps\n\nMore.\n"
)


@pytest.fixture
def app(tmp_path):
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {"Home.md": b"# Home\n", "Public/Report.md": ORIGINAL.encode()},
        author=TEST_AUTHOR,
        message="original",
    )
    storage.import_files(
        {
            "Public/Report (de).md": (
                b"---\nlang: de\ntranslation_of: Public/Report\n---\n# Ergebnisbericht\n"
            ),
            "Public/Report (el).md": (
                '---\nlang: el\ntranslation_of: "[[Public/Report]]"\n---\n# Έκθεση\n'
            ).encode(),
            "WG4/Report (hu).md": (
                "---\nlang: hu\ntranslation_of: Public/Report\n---\n# Jelentés\n"
            ).encode(),
        },
        author=TEST_AUTHOR,
        message="translations",
    )
    app = make_app(tmp_path, storage)
    app.services.spaces.create_space("WG4", actor="t", read="members", write="members")
    yield app
    storage.close()


def _also_in(html: str) -> list[str]:
    found = re.search(r'<p class="also-in">(.*?)</p>', html, re.S)
    return re.findall(r">([^<]+)</a>", found[1]) if found else []


def test_a_page_links_its_translations_the_readers_language_first(app):
    client = app.test_client()
    assert _also_in(client.get("/Public/Report").get_data(as_text=True)) == ["Deutsch", "Ελληνικά"]
    client.set_cookie("ui_lang", "el")
    assert _also_in(client.get("/Public/Report").get_data(as_text=True)) == ["Ελληνικά", "Deutsch"]
    german = app.test_client().get("/" + quote("Public/Report (de)")).get_data(as_text=True)
    assert _also_in(german) == ["Ελληνικά", "English"] or _also_in(german) == [
        "English",
        "Ελληνικά",
    ]
    # (the Hungarian one, in a space the reader may not read, is not offered above)
    editor = app.test_client()
    app.services.spaces.add_member("WG4", "editor", actor="t")
    AuthActions(editor).login("editor", PASSWORD)
    assert "Magyar" in _also_in(editor.get("/Public/Report").get_data(as_text=True))


def test_a_translation_older_than_its_original_is_marked_with_the_changes_since(app):
    client = app.test_client()
    german_url = "/" + quote("Public/Report (de)")
    assert "may be outdated" not in client.get(german_url).get_data(as_text=True)
    auth = {"Authorization": "Basic " + base64.b64encode(f"editor:{PASSWORD}".encode()).decode()}
    current = client.get("/-/api/v1/pages/Public/Report", headers=auth).get_json()
    client.put(
        "/-/api/v1/pages/Public/Report",
        json={"content": ORIGINAL + "\n## Annex\n", "base_revision": current["revision"]},
        headers=auth,
    )
    html = client.get(german_url).get_data(as_text=True)
    assert "may be outdated" in html
    diff = unquote(
        re.search(r'href="(/-/diff/Public/Report\?[^"]+)"', html)[1].replace("&amp;", "&")
    )
    changes = client.get(diff).get_data(as_text=True)
    assert "Annex" in changes


def test_translate_this_page_starts_from_the_originals_structure(app):
    editor = app.test_client()
    AuthActions(editor).login("editor", PASSWORD)
    page = editor.get("/Public/Report").get_data(as_text=True)
    assert 'href="/-/translate/Public/Report"' in page
    form = editor.get("/-/translate/Public/Report")
    assert form.status_code == 200 and 'name="lang"' in form.get_data(as_text=True)
    opened = editor.get("/-/translate/Public/Report?lang=hu", follow_redirects=True)
    text = opened.get_data(as_text=True)
    assert "translation_of: Public/Report" in text and "lang: hu" in text
    assert "## Findings" in text and "## Next steps" in text and "tags: [results]" in text
    assert "Public/Report (hu)" in text
    # translating a translation starts from the original
    again = editor.get(
        "/-/translate/" + quote("Public/Report (de)") + "?lang=it", follow_redirects=True
    ).get_data(as_text=True)
    assert "translation_of: Public/Report" in again and "## Findings" in again


def test_search_shows_translations_under_their_page_and_prefers_the_readers_language(app):
    client = app.test_client()
    storage = app.services.storage
    storage.import_files(
        {
            "Public/Plan.md": b"---\nlang: en\n---\n# Zephyr\n\nZephyr.\n",
            "Public/Plan (de).md": (
                b"---\nlang: de\ntranslation_of: Public/Plan\n---\n# Zephyr\n\nZephyr.\n"
            ),
        },
        author=TEST_AUTHOR,
        message="plans",
    )
    app.services.pages._committed()
    html = client.get("/-/search?q=zephyr").get_data(as_text=True)
    results = re.findall(r'<li class="result">(.*?)</li>', html, re.S)
    assert len(results) == 1  # one hit, its translation under it
    assert 'href="/Public/Plan%20%28de%29"' in results[0] and "Deutsch" in results[0]
    client.set_cookie("ui_lang", "de")
    german = client.get("/-/search?q=zephyr").get_data(as_text=True)
    first = re.findall(r'<li class="result">\s*<h2><a href="([^"]+)"', german)
    assert first == ["/Public/Plan%20%28de%29"]
