"""The interface language: chosen by the switcher (a cookie, and the account of a
signed-in user), else the browser's Accept-Language, else DEFAULT_UI_LANGUAGE; pages,
messages and refusals in it, while API clients keep English."""

from __future__ import annotations

from babel.support import Translations

from tests.conftest import PASSWORD
from tests.conftest import AuthActions
from tests.conftest import make_app
from wiki.i18n import TRANSLATIONS
from wiki.i18n import compile_catalogs


def catalog(locale: str):
    compile_catalogs()
    return Translations.load(str(TRANSLATIONS), [locale])


def test_the_browser_language_then_the_default_choose(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, DEFAULT_UI_LANGUAGE="de")
    client = app.test_client()
    hungarian = client.get("/-/login", headers={"Accept-Language": "hu-HU,hu;q=0.9,en;q=0.5"})
    assert '<html lang="hu">' in hungarian.get_data(as_text=True)
    assert catalog("hu").gettext("Log in") in hungarian.get_data(as_text=True)
    japanese = client.get("/-/login", headers={"Accept-Language": "ja"})
    assert '<html lang="de">' in japanese.get_data(as_text=True)  # the default
    serbian = client.get("/-/login", headers={"Accept-Language": "sr-Latn-RS"})
    assert '<html lang="sr">' in serbian.get_data(as_text=True)


def test_the_switcher_remembers_the_choice_in_a_cookie_and_in_the_account(app):
    client = app.test_client()
    answer = client.get("/-/language/el?next=/-/login")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/-/login")
    assert "ui_lang=el" in answer.headers["Set-Cookie"]
    assert '<html lang="el">' in client.get("/-/login").get_data(as_text=True)
    assert client.get("/-/language/xx").status_code == 302  # unknown: refused, no cookie
    assert '<html lang="el">' in client.get("/-/login").get_data(as_text=True)
    # signed in, the choice is kept in the account: another browser gets it too
    editor = app.test_client()
    AuthActions(editor).login("editor", PASSWORD)
    AuthActions(editor).post("/-/language/hu", {"next": "/"})
    elsewhere = app.test_client()
    AuthActions(elsewhere).login("editor", PASSWORD)
    assert '<html lang="hu">' in elsewhere.get("/-/recent").get_data(as_text=True)
    # an off-site next is not followed
    assert client.get("/-/language/de?next=https://evil.example/").headers["Location"] == "/"


def test_refusals_are_in_the_readers_language_and_api_errors_stay_english(app):
    hu = catalog("hu")
    client = app.test_client()
    client.set_cookie("ui_lang", "hu")
    AuthActions(client).login("editor", PASSWORD)
    page = client.get("/-/history/No%20such%20page")
    expected = hu.gettext("There is no history for '%(name)s'.") % {"name": "No such page"}
    assert expected != "There is no history for 'No such page'."  # it is translated
    assert expected.replace("'", "&#39;") in page.get_data(as_text=True)
    api = client.get("/-/api/v1/pages/No%20such%20page", headers={"Accept-Language": "hu"})
    assert api.get_json()["error"] == "There is no page called 'No such page'."


def test_a_permission_refusal_is_in_the_readers_language(app):
    hu = catalog("hu")
    reader = app.test_client()
    reader.set_cookie("ui_lang", "hu")
    AuthActions(reader).login("reader", PASSWORD)
    refused = reader.get("/-/edit/Home")
    text = "Your account may read but not edit pages. Ask an administrator for the editor role."
    assert refused.status_code == 403
    assert hu.gettext(text) != text and hu.gettext(text) in refused.get_data(as_text=True)
