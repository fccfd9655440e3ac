import html
import re
from urllib.parse import quote

import pytest

from tests.conftest import csrf_of


def test_home_and_pages_render(client):
    r = client.get("/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Welcome." in html and 'href="/WG4/Home"' in html
    assert 'class="wikilink missing"' in html
    r = client.get("/WG4/Home")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<h1>WG4 Financing</h1>" in html
    assert 'class="metabox"' in html and "financing" in html and "tags:" not in html
    assert "Last edited by" in html and "Test Author" in html


def test_folder_address_leads_to_its_home(client):
    r = client.get("/WG4")
    assert r.status_code == 302 and r.headers["Location"] == "/WG4/Home"


def test_missing_page_is_404_offering_create_to_editors(client, auth):
    r = client.get("/Nope")
    assert r.status_code == 404 and "Create this page" not in r.get_data(as_text=True)
    auth.login("editor")
    r = client.get("/Nope")
    assert r.status_code == 404 and "Create this page" in r.get_data(as_text=True)
    auth.logout()
    auth.login("reader")
    assert "Create this page" not in client.get("/Nope").get_data(as_text=True)


def test_letter_case_redirects_to_the_existing_page(client):
    r = client.get("/wg4/home")
    assert r.status_code == 301 and r.headers["Location"] == "/WG4/Home"


def test_create_edit_and_view_unicode_page(client, auth):
    auth.login("editor")
    name = "WG4/Klaszterfinanszírozás – őszi ülés"
    r = client.get("/-/edit/" + quote(name))
    assert r.status_code == 200
    base = re.search(r'name="base_revision" value="([0-9a-f]*)"', r.get_data(as_text=True))[1]
    r = auth.post(
        "/-/edit/" + quote(name),
        {
            "content": "---\nlang: hu\n---\n# Őszi ülés\n\nSzöveg.\n",
            "message": "Új oldal",
            "base_revision": base,
        },
    )
    assert r.status_code == 302
    assert r.headers["Location"] == "/" + quote(name)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Őszi ülés" in page and "Szöveg." in page and "Saved." in page
    history = client.get("/-/history/" + quote(name)).get_data(as_text=True)
    assert "Új oldal" in history and "Edit Őrző" in history


@pytest.mark.parametrize("name", ["Straße", "Ελληνικά/Πολιτική", "Árvíztűrő tükörfúrógép"])
def test_unicode_names_round_trip(client, auth, name):
    auth.login("editor")
    r = auth.post("/-/edit/" + quote(name), {"content": "# x\n", "base_revision": ""})
    assert r.status_code == 302
    assert client.get("/" + quote(name)).status_code == 200
    assert name in client.get("/-/api/v1/pages").get_json()


def test_saving_unchanged_text_says_so(client, auth, app):
    auth.login("editor")
    head = app.services.pages.head()
    text = app.services.pages.source("Home")
    r = auth.post("/-/edit/Home", {"content": text, "base_revision": head}, follow_redirects=True)
    assert "No changes to save." in r.get_data(as_text=True)
    assert app.services.pages.head() == head


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("CON", "reserved device"),
        ("a:b", "cannot contain"),
        ("x/.git/hooks", "start with"),
        ("trailing.", "end with a dot"),
        ("-x", "start with '-'"),
        ("wg4/Upper", "letter case"),
    ],
)
def test_hostile_names_are_refused_with_the_text_kept(client, auth, name, fragment):
    auth.login("editor")
    r = auth.post("/-/edit/" + quote(name), {"content": "my precious text", "base_revision": ""})
    assert r.status_code == 400
    page = html.unescape(r.get_data(as_text=True))
    assert fragment in page
    assert "my precious text" in page


def test_path_traversal_in_urls_is_harmless(client, auth):
    for url in [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/-/raw/..%2f..%2fetc%2fpasswd",
        "/-/static/../../wiki/config.py",
        "/-/static/%2e%2e/%2e%2e/pyproject.toml",
    ]:
        r = client.get(url)
        assert r.status_code in (400, 404), url
        assert b"root:" not in r.data and b"DEFAULTS" not in r.data


def test_invalid_front_matter_keeps_the_text(client, auth):
    auth.login("editor")
    text = "---\ntitle: ok\ntags: [unclosed\n---\nMy long text.\n"
    r = auth.post("/-/edit/Home", {"content": text, "base_revision": ""})
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "front matter" in html and "line" in html
    assert "My long text." in html


def test_conflict_returns_409_with_both_texts_and_a_diff(client, auth, app):
    wiki = app.services.pages
    base = wiki.head()
    auth.login("editor2")
    auth.post("/-/edit/Home", {"content": "# Home\n\nTheir sentence.\n", "base_revision": base})
    auth.logout()
    auth.login("editor")
    r = auth.post(
        "/-/edit/Home",
        {"content": "# Home\n\nMy sentence.\n", "base_revision": base, "message": "mine"},
    )
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert "My sentence." in html and "Their sentence." in html
    assert "Bea Both" in html
    assert 'class="diff"' in html
    assert f'name="base_revision" value="{wiki.head()}"' in html  # saving again works
    assert "Their sentence." in wiki.source("Home")


def test_clean_merge_is_saved_and_announced(client, auth, app):
    wiki = app.services.pages
    base = wiki.head()
    auth.login("editor2")
    auth.post(
        "/-/edit/Home",
        {
            "content": "# Home!\n\nWelcome. See [[WG4/Home]] and [[Missing page]].\n",
            "base_revision": base,
        },
    )
    auth.logout()
    auth.login("editor")
    r = auth.post(
        "/-/edit/Home",
        {
            "content": "# Home\n\nWelcome. See [[WG4/Home]] and [[Missing page]].\nMore.\n",
            "base_revision": base,
        },
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "merged with changes by Bea Both" in r.get_data(as_text=True)
    assert (
        wiki.source("Home") == "# Home!\n\nWelcome. See [[WG4/Home]] and [[Missing page]].\nMore.\n"
    )


def test_preview_renders_sanitized_html(client, auth):
    auth.login("editor")
    r = auth.post(
        "/-/preview", {"content": "**bold** <script>alert(1)</script> [[Home]]", "name": "WG4/X"}
    )
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<strong>bold</strong>" in html and "<script" not in html and 'href="/Home"' in html
    r = auth.post("/-/preview", {"content": "---\ntitle: [\n---\n"})
    assert "front matter" in r.get_data(as_text=True)


def test_oversized_requests_are_refused(client, auth, app):
    auth.login("editor")
    head = app.services.pages.head()
    big = "x" * (app.config["MAX_PAGE_BYTES"] + 10)
    r = auth.post("/-/edit/Home", {"content": big, "base_revision": head})
    assert r.status_code == 400 and "too large" in r.get_data(as_text=True)
    r = auth.post("/-/edit/Home", {"content": big * 5, "base_revision": head})
    assert r.status_code == 413
    assert app.services.pages.head() == head


def test_history_pagination_diff_and_old_revision(client, auth, app):
    app.config["HISTORY_PAGE_SIZE"] = 2
    wiki = app.services.pages
    auth.login("editor")
    for i in range(3):
        auth.post(
            "/-/edit/Home",
            {
                "content": f"# Home\n\nversion {i}\n",
                "message": f"v{i}",
                "base_revision": wiki.head(),
            },
        )
    page1 = client.get("/-/history/Home").get_data(as_text=True)
    assert "v2" in page1 and "v1" in page1 and "v0" not in page1 and "Older" in page1
    page2 = client.get("/-/history/Home?page=2").get_data(as_text=True)
    assert "v0" in page2 and "Newer" in page2
    revs = [r.id for r in wiki.history("Home")]
    r = client.get(f"/-/diff/Home?from={revs[2]}&to={revs[0]}")
    html = r.get_data(as_text=True)
    # the changed word is marked inside its line
    assert (
        r.status_code == 200 and "version <del>0</del>" in html and "version <ins>2</ins>" in html
    )
    assert 'class="del"' in html and 'class="add"' in html
    old = client.get(f"/Home?rev={revs[3]}").get_data(as_text=True)
    assert "Welcome." in old and "not the current page" in old and "Restore this revision" in old
    assert client.get("/-/diff/Home?to=" + revs[0]).status_code == 200  # against its parent


@pytest.mark.parametrize("query", ["rev=HEAD~1", "rev=--output=x", "rev=zzz"])
def test_bad_revisions_are_4xx(client, query):
    assert client.get("/Home?" + query).status_code in (400, 404)


def test_bad_diff_revisions_are_4xx(client):
    assert client.get("/-/diff/Home?from=--all&to=HEAD").status_code == 400
    assert client.get("/-/diff/Home?from=" + "f" * 40).status_code == 404


def test_restore(client, auth, app):
    wiki = app.services.pages
    first = wiki.history("Home")[0].id
    auth.login("editor")
    auth.post("/-/edit/Home", {"content": "# Replaced\n", "base_revision": wiki.head()})
    r = auth.post("/-/restore/Home", {"revision": first}, follow_redirects=True)
    assert r.status_code == 200 and "Restored" in r.get_data(as_text=True)
    assert wiki.source("Home").startswith("# Home\n\nWelcome.")
    assert len(wiki.history("Home")) == 3


def test_rename_redirects_the_old_address(client, auth, app):
    auth.login("editor")
    assert client.get("/-/rename/WG4/Guarantees").status_code == 200
    r = auth.post("/-/rename/WG4/Guarantees", {"new_name": "WG4/Guarantee funds"})
    assert r.status_code == 302 and r.headers["Location"] == "/WG4/Guarantee%20funds"
    r = client.get("/WG4/Guarantees")
    assert r.status_code == 301 and r.headers["Location"] == "/WG4/Guarantee%20funds"
    history = client.get("/-/history/WG4/Guarantee funds").get_data(as_text=True)
    assert "renamed from WG4/Guarantees" in history and "seed" in history
    r = auth.post("/-/rename/WG4/Guarantee funds", {"new_name": "Home"})
    assert r.status_code == 400 and "exists already" in r.get_data(as_text=True)
    r = auth.post("/-/rename/WG4/Guarantee funds", {"new_name": "bad:name"})
    assert r.status_code == 400


def test_delete_and_restore_from_history(client, auth, app):
    wiki = app.services.pages
    auth.login("editor")
    assert client.get("/-/delete/WG4/Guarantees").status_code == 200
    r = auth.post("/-/delete/WG4/Guarantees", {"message": "obsolete"})
    assert r.status_code == 302
    r = client.get("/WG4/Guarantees")
    assert r.status_code == 404 and "was deleted by Edit Őrző" in r.get_data(as_text=True)
    history = client.get("/-/history/WG4/Guarantees").get_data(as_text=True)
    assert "deleted" in history and "restore" in history
    seed = wiki.history("WG4/Guarantees")[1].id
    auth.post("/-/restore/WG4/Guarantees", {"revision": seed})
    assert client.get("/WG4/Guarantees").status_code == 200


def _listed(html: str) -> list[str]:
    """The pages in the backlinks list (not the sidebar's)."""
    import re

    after = html.split("<h1>Pages linking to", 1)[1].split("</h1>", 1)[1].lstrip()
    if not after.startswith("<ul>"):
        return []
    listing = after.split("</ul>", 1)[0]
    return re.findall(r'<li><a href="[^"]*">([^<]*)</a></li>', listing)


def test_backlinks_page(client, auth, app):
    assert _listed(client.get("/-/backlinks/WG4/Home").get_data(as_text=True)) == [
        "Home",
        "WG4/Guarantees",
    ]
    assert _listed(client.get("/-/backlinks/WG4/Guarantees").get_data(as_text=True)) == []
    auth.login("editor")
    auth.post(
        "/-/edit/WG4/Notes",
        {"content": "See [[WG4/Guarantees]].\n", "message": "", "base_revision": ""},
    )
    assert _listed(client.get("/-/backlinks/WG4/Guarantees").get_data(as_text=True)) == [
        "WG4/Notes"
    ]


def test_recent_changes_and_atom(client, auth, app):
    auth.login("editor")
    auth.post(
        "/-/edit/WG4/Home",
        {
            "content": "# WG4\n\nnew\n",
            "message": "Tidy up <b>",
            "base_revision": app.services.pages.head(),
        },
    )
    html = client.get("/-/recent").get_data(as_text=True)
    assert "Tidy up &lt;b&gt;" in html and "Edit Őrző" in html and "seed" in html
    r = client.get("/-/recent.atom")
    assert r.mimetype == "application/atom+xml"
    import xml.etree.ElementTree as ET

    feed = ET.fromstring(r.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.find("a:title", ns).text for e in feed.findall("a:entry", ns)]
    assert titles[0] == "WG4/Home: Tidy up <b>"
    # the display name with the account beside it: nobody can pose as someone else
    assert feed.find("a:entry/a:author/a:name", ns).text == "Edit Őrző (@editor)"


def test_page_tree(client):
    html = client.get("/-/pages").get_data(as_text=True)
    assert "WG4/" in html and 'href="/WG4/Guarantees"' in html and "3 pages" in html
    assert "Guarantees" in client.get("/-/pages?folder=WG4").get_data(as_text=True)


def test_raw_source(client):
    r = client.get("/-/raw/WG4/Home")
    assert r.mimetype == "text/plain" and r.get_data(as_text=True).startswith("---\ntitle:")


def test_health(client, app):
    assert client.get("/-/health").get_json() == {
        "status": "ok",
        "head": app.services.pages.head(),
    }


def test_search_finds_pages(client):
    html = client.get("/-/search?q=guar*").get_data(as_text=True)
    assert 'href="/WG4/Guarantees"' in html


def test_csrf_token_rendered(client):
    assert csrf_of(client)
