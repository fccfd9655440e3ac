"""Search in every language: a page without `lang` gets its folder's language, else the
one its words are in; words only in the front matter are found; "did you mean" keeps the
accents of the pages."""

from __future__ import annotations

import pytest

from tests.conftest import TEST_AUTHOR
from tests.conftest import make_app
from wiki.git.storage import Storage

GERMAN = (
    "# Förderprogramme\n\nDie Förderprogramme für Cluster in Niederösterreich unterstützen "
    "die Zusammenarbeit zwischen Unternehmen, Forschungseinrichtungen und der öffentlichen "
    "Verwaltung. Die Clusterinitiativen werden von der Landesregierung finanziert.\n"
)


@pytest.fixture
def app(tmp_path):
    storage = Storage.init(tmp_path / "content")
    storage.import_files(
        {
            "Home.md": b"# Home\n\nWelcome to the wiki of the partnership.\n",
            "Research/Programmes.md": GERMAN.encode(),
            "Magyar/Home.md": b"---\nlang: hu\n---\n# Magyar\n",
            "Magyar/Notes/Short.md": b"# Jegyzet\n\nKlaszterek.\n",
            "WG4/Summary.md": (
                "---\ntitle: Klaszterfinanszírozás – összefoglaló\n"
                "tags: [finanszírozás, kockázati tőke]\nlang: hu\n---\n"
                "# Összefoglaló\n\nA klaszterek pénzügyi eszközei.\n"
            ).encode(),
        },
        author=TEST_AUTHOR,
        message="seed",
    )
    app = make_app(tmp_path, storage)
    yield app
    storage.close()


def _names(client, query: str) -> list[str]:
    found = client.get("/-/api/v1/search", query_string={"q": query}).get_json()
    return [hit["name"] for hit in found["results"]]


def test_a_page_without_lang_gets_its_words_language_or_its_folders(app):
    client = app.test_client()
    assert "Research/Programmes" in _names(client, "lang:de")
    assert "Research/Programmes" not in _names(client, "lang:en")
    # stemmed as German: another form of a word finds it
    assert "Research/Programmes" in _names(client, "Förderprogramm")
    # too short to tell: the folder's home page says Hungarian
    assert "Magyar/Notes/Short" in _names(client, "lang:hu")
    facets = client.get("/-/api/v1/search?q=Clusterinitiativen").get_json()["facets"]
    assert facets["lang"] == {"de": 1}


def test_words_only_in_the_front_matter_are_found(app):
    client = app.test_client()
    assert _names(client, "finanszírozás") == ["WG4/Summary"]
    assert "WG4/Summary" in _names(client, "tőke")


def test_did_you_mean_keeps_the_accents_of_the_pages(app):
    answer = app.test_client().get("/-/api/v1/search?q=finanszírozáss").get_json()
    assert answer["total"] == 0
    assert answer["suggestion"] == "finanszírozás"


def test_a_query_that_is_a_tag_offers_the_tags_page(app):
    html = app.test_client().get("/-/search?q=finanszírozás").get_data(as_text=True)
    assert "1 page tagged “finanszírozás”" in html
    assert 'href="/-/tags/finansz%C3%ADroz%C3%A1s"' in html
    assert "page tagged" not in app.test_client().get("/-/search?q=tőke").get_data(as_text=True)


def test_facets_name_languages_in_the_readers_language(app):
    client = app.test_client()
    english = client.get("/-/search?q=Clusterinitiativen").get_data(as_text=True)
    assert ">German</a>" in english
    client.set_cookie("ui_lang", "hu")
    hungarian = client.get("/-/search?q=Clusterinitiativen").get_data(as_text=True)
    assert ">német</a>" in hungarian and '<html lang="hu">' in hungarian
    recent = client.get("/-/recent").get_data(as_text=True)
    assert "ezelőtt" in recent or "perce" in recent or "másodperce" in recent
