"""*New page* asks for the name first (/-/new): the folder the user is in, the rules of
page names, a page that exists already, then the editor."""

import html
import re
from urllib.parse import quote


def _form(r) -> str:
    assert r.status_code in (200, 400)
    return html.unescape(r.get_data(as_text=True))


def test_the_new_page_link_asks_for_the_name_in_the_folder_of_the_page(client, auth):
    auth.login("editor")
    page = client.get("/WG4/Guarantees").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-new-page', page)[1]
    assert link.startswith("/-/new?")
    form = _form(client.get(html.unescape(link)))
    assert re.search(r'name="folder" value="WG4/"', form)
    assert 'name="name"' in form and "Open the editor" in form


def test_a_free_name_opens_the_editor(client, auth):
    auth.login("editor")
    r = client.get("/-/new", query_string={"folder": "WG4/", "name": " Guarantee funds "})
    assert r.status_code == 302
    assert r.headers["Location"] == "/-/edit/" + quote("WG4/Guarantee funds")
    # without a folder: at the top level; subfolders in the name are fine
    r = client.get("/-/new", query_string={"folder": "", "name": "Notes/2026"})
    assert r.headers["Location"] == "/-/edit/Notes/2026"


def test_an_existing_page_is_said_with_links_to_it(client, auth):
    auth.login("editor")
    r = client.get("/-/new", query_string={"folder": "WG4", "name": "Guarantees"})
    text = _form(r)
    assert r.status_code == 200
    assert "'WG4/Guarantees' exists already." in text
    assert 'href="/WG4/Guarantees"' in text and 'href="/-/edit/WG4/Guarantees"' in text


def test_a_name_against_the_rules_is_explained(client, auth):
    auth.login("editor")
    r = client.get("/-/new", query_string={"folder": "WG4", "name": "a:b"})
    assert r.status_code == 400
    assert "Page names cannot contain :" in _form(r)
    r = client.get("/-/new", query_string={"folder": "WG4", "name": "  "})
    assert r.status_code == 400 and "Give the page a name." in _form(r)
    r = client.get("/-/new", query_string={"folder": "", "name": "wg4/Plan"})
    assert r.status_code == 400 and "differs only by letter case" in _form(r)
    # what was typed stays in the form
    r = client.get("/-/new", query_string={"folder": "WG4", "name": ".hidden"})
    assert r.status_code == 400 and 'value=".hidden"' in _form(r)


def test_the_check_for_the_script_answers_in_json(client, auth):
    auth.login("editor")
    free = client.get("/-/new?check=1&folder=WG4/&name=Plan").get_json()
    assert free == {"name": "WG4/Plan", "exists": False, "message": "New page: WG4/Plan"}
    taken = client.get("/-/new?check=1&folder=WG4&name=Home").get_json()
    assert taken["exists"] is True and taken["open"]["url"] == "/WG4/Home"
    assert taken["edit"]["url"] == "/-/edit/WG4/Home"
    bad = client.get("/-/new?check=1&folder=WG4&name=CON").get_json()
    assert bad["exists"] is False and "reserved device name" in bad["problem"]


def test_only_writers_get_the_form(client, auth):
    r = client.get("/-/new")
    assert r.status_code in (302, 401) and "login" in r.headers.get("Location", "login")
    auth.login("reader")
    assert client.get("/-/new").status_code == 403
    assert client.get("/-/new?check=1&folder=WG4&name=Home").status_code == 403
