"""Reading comfort: one title, breadcrumbs without "Home / Home", diffs that mark the
changed words (inline or side by side), revisions named by date and author, the icons."""

import re

from tests.conftest import make_app
from wiki.pages.diffs import Piece
from wiki.pages.diffs import line_diff
from wiki.pages.diffs import side_by_side
from wiki.pages.diffs import word_diff


def _save(auth, app, name, text, message="edit"):
    r = auth.post(
        "/-/edit/" + name,
        {"content": text, "message": message, "base_revision": app.services.pages.head()},
    )
    assert r.status_code == 302, r.get_data(as_text=True)


def _article(html: str) -> str:
    return html[html.index('<article class="page"') : html.index("</article>")]


def _crumbs(html: str) -> list[str]:
    found = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S)
    return re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]+)", found.group(0)) if found else []


# one title


def test_a_page_starting_with_its_own_title_shows_it_once(app, client, auth):
    auth.login("editor")
    text = "---\ntitle: Šibenik cluster  policy\n---\n# SIBENIK Cluster Policy\n\nBody.\n"
    _save(auth, app, "WG4/Sibenik", text)
    article = _article(client.get("/WG4/Sibenik").get_data(as_text=True))
    assert article.count("<h1") == 1 and "<h1>Šibenik cluster  policy</h1>" in article
    assert "SIBENIK" not in article and "<p>Body.</p>" in article


def test_a_different_first_heading_is_kept(app, client, auth):
    auth.login("editor")
    _save(auth, app, "WG4/Notes", "---\ntitle: Notes\n---\n# Notes from Zagreb\n\nBody.\n")
    article = _article(client.get("/WG4/Notes").get_data(as_text=True))
    assert article.count("<h1") == 2 and "Notes from Zagreb" in article


def test_the_table_of_contents_still_leads_to_the_sections(app, client, auth):
    auth.login("editor")
    text = "# Plan\n\n## One\n\nx\n\n## Two\n\ny\n\n## Three\n\nz\n"
    _save(auth, app, "WG4/Plan", text)
    article = _article(client.get("/WG4/Plan").get_data(as_text=True))
    assert article.count("<h1") == 1
    for section in ("one", "two", "three"):
        assert f'href="#user-content-{section}"' in article
        assert f'id="user-content-{section}"' in article


# breadcrumbs


def test_breadcrumbs_never_say_home_twice(app, client, auth):
    home = client.get("/").get_data(as_text=True)
    assert 'class="breadcrumbs"' not in home  # the wiki's home page needs no trail
    assert 'class="breadcrumbs"' not in client.get("/Home").get_data(as_text=True)
    assert _crumbs(client.get("/WG4/Home").get_data(as_text=True)) == ["Home", "WG4"]
    assert _crumbs(client.get("/WG4/Guarantees").get_data(as_text=True)) == [
        "Home",
        "WG4",
        "Guarantees",
    ]
    auth.login("editor")
    _save(auth, app, "WG4/Sub/Home", "# Sub\n\nA folder's home.\n")
    assert _crumbs(client.get("/WG4/Sub/Home").get_data(as_text=True)) == ["Home", "WG4", "Sub"]
    history = client.get("/-/history/WG4/Home").get_data(as_text=True)
    assert _crumbs(history) == ["Home", "WG4"]
    assert 'class="breadcrumbs"' not in client.get("/-/history/Home").get_data(as_text=True)


# diffs


def test_word_diff_marks_only_the_changed_words():
    old, new = word_diff(
        "The group met in Ljubljana on Monday.", "The group met in Zagreb on Monday."
    )
    assert old == (
        Piece("The group met in ", False),
        Piece("Ljubljana", True),
        Piece(" on Monday.", False),
    )
    assert [p.text for p in new if p.changed] == ["Zagreb"]
    # neighbouring changed words are one mark, the space between them included
    _old, new = word_diff("met in Ljubljana today", "met at the Zagreb office today")
    assert [p.text for p in new if p.changed] == ["at the Zagreb office"]
    # lines with little in common are shown whole
    assert word_diff("Completely different words here", "Nothing alike at all, 42") is None


def test_line_diff_collapses_long_unchanged_stretches():
    old = "\n".join(f"line {i}" for i in range(1, 41))
    new = old.replace("line 20", "line twenty")
    diff = line_diff(old, new)
    gaps = [line.skipped for line in diff.lines if line.kind == "gap"]
    assert gaps == [16, 17] and diff.added == 1 and diff.removed == 1
    changed = [line for line in diff.lines if line.kind in ("add", "del")]
    assert [p.text for p in changed[1].parts if p.changed] == ["twenty"]
    whole = line_diff(old, new, context=None)
    assert not [line for line in whole.lines if line.kind == "gap"]
    assert len(whole.lines) == 41


def test_side_by_side_pairs_each_removed_line_with_its_replacement():
    rows = side_by_side(line_diff("a\nb\nc\n", "a\nB\nnew\nc\n"))
    assert [(r.kind, r.old and r.old.text, r.new and r.new.text) for r in rows] == [
        ("same", "a", "a"),
        ("change", "b", "B"),
        ("change", None, "new"),
        ("same", "c", "c"),
    ]


def test_diff_page_shows_changed_words_inline_and_side_by_side(app, client, auth):
    auth.login("editor")
    _save(auth, app, "WG4/Guarantees", "# Guarantees\n\nThe fund covers <b>half</b> the loan.\n")
    _save(auth, app, "WG4/Guarantees", "# Guarantees\n\nThe fund covers <b>most</b> the loan.\n")
    inline = client.get("/-/diff/WG4/Guarantees").get_data(as_text=True)
    # the page's text is escaped, the marks are the wiki's
    assert "&lt;b&gt;<del>half</del>&lt;/b&gt;" in inline
    assert "&lt;b&gt;<ins>most</ins>&lt;/b&gt;" in inline
    assert 'class="diff split"' not in inline and 'aria-current="true">Inline' in inline
    r = client.get("/-/diff/WG4/Guarantees?view=split")
    split = r.get_data(as_text=True)
    assert 'class="diff split"' in split and "<ins>most</ins>" in split
    assert 'aria-current="true">Side by side' in split
    assert "diff_view=split" in r.headers["Set-Cookie"]
    # the choice is remembered for the next diff; a wrong value falls back to it
    assert 'class="diff split"' in client.get("/-/diff/WG4/Guarantees").get_data(as_text=True)
    odd = client.get("/-/diff/WG4/Guarantees?view=<x>")
    assert odd.status_code == 200 and 'class="diff split"' in odd.get_data(as_text=True)
    inline = client.get("/-/diff/WG4/Guarantees?view=inline").get_data(as_text=True)
    assert 'class="diff split"' not in inline


def test_revisions_are_named_by_date_and_author(app, client, auth):
    auth.login("editor")
    _save(auth, app, "WG4/Guarantees", "# Guarantees\n\nNew text.\n", message="Rewrite")
    last = app.services.pages.history("WG4/Guarantees")[0]
    when = f"{last.date:%Y}"
    history = client.get("/-/history/WG4/Guarantees").get_data(as_text=True)
    name = re.search(r'<span class="revision-name">.*?</code></span>', history, re.S).group(0)
    assert when in name and f"{last.date:%H:%M}" in name and "Edit Őrző" in name
    assert f'<code class="hash" title="Revision {last.id}">{last.short}</code>' in name
    diff = client.get("/-/diff/WG4/Guarantees").get_data(as_text=True)
    assert diff.count('class="revision-name"') == 2 and "Test Author" in diff
    old = client.get(f"/WG4/Guarantees?rev={last.id}").get_data(as_text=True)
    banner = old[old.index('class="notice old-revision"') :]
    assert "Edit Őrző" in banner[:2000] and f">{last.short}</code>" in banner[:2000]


# icons


def test_the_site_answers_for_its_icons(client):
    with client.get("/favicon.ico") as r:
        assert r.status_code == 200
        assert r.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
        assert r.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    with client.get("/apple-touch-icon.png") as r:
        assert r.status_code == 200 and r.data[:8] == b"\x89PNG\r\n\x1a\n"
    html = client.get("/").get_data(as_text=True)
    assert 'rel="apple-touch-icon"' in html and 'href="/-/static/favicon.ico"' in html


def test_a_private_wiki_still_answers_for_its_icon(tmp_path, content_repo):
    app = make_app(tmp_path, content_repo, READ_ACCESS="registered")
    client = app.test_client()
    assert client.get("/").status_code in (302, 401, 403)
    with client.get("/favicon.ico") as r:
        assert r.status_code == 200
