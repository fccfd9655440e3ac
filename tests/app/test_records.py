"""Typed records: types from Types/ pages, checks on save, the information box, collections
(filters, sorting, CSV and JSON) through the read gate, and the types API."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import make_app
from wiki.git.storage import Storage

CONTENT = Path(__file__).resolve().parents[2] / "content"
BEST = (
    "---\ntype: best-practice\ncountry: {country}\npartner: {partner}\nwg: {wg}\n"
    "activity: {activity}\nresults: Forty firms joined.\nreview_state: {state}\n---\n"
    "# {title}\n\n## Summary\n\nText.\n\n## How it works\n\nText.\n"
)


def best(
    title,
    country="Hungary",
    partner="Pannon Business Network Association",
    wg="WG4",
    activity="Cluster voucher",
    state="approved",
):
    return BEST.format(
        title=title, country=country, partner=partner, wg=wg, activity=activity, state=state
    )


@pytest.fixture
def records_app(tmp_path):
    files = {f"Types/{p.name}": p.read_bytes() for p in (CONTENT / "Types").glob("*.md")}
    files["Partners/Pannon Business Network Association.md"] = (
        CONTENT / "Partners" / "Pannon Business Network Association.md"
    ).read_bytes()
    files["Home.md"] = b"# Home\n"
    files["Best practices/Voucher scheme.md"] = best("Voucher scheme").encode()
    files["Best practices/Green loans.md"] = best(
        "Green loans", country="Austria", partner="ecoplus", wg="WG2", activity="=1+1 loans"
    ).encode()
    files["WG4/Closed practice.md"] = best("Closed practice", country="Greece").encode()
    storage = Storage.init(tmp_path / "content")
    storage.import_files(files, author=TEST_AUTHOR, message="seed")
    app = make_app(tmp_path, storage)
    app.services.spaces.create_space("WG4", actor="test", read="members", write="members")
    app.services.spaces.add_member("WG4", "editor", actor="test")
    yield app
    storage.close()


def client_as(app, user):
    client = app.test_client()
    if user:
        AuthActions(client).login(user, PASSWORD)
    return client


def test_a_record_page_shows_its_fields_by_label_with_readable_values(records_app):
    html = (
        client_as(records_app, "reader")
        .get("/Best%20practices/Voucher%20scheme")
        .get_data(as_text=True)
    )
    box = html[html.index('class="metabox record"') : html.index("</aside>")]
    assert "Best practice" in box and "Working group" in box and "Partner institution" in box
    # a working group by its title and home page, a page reference as a link into Partners/
    assert "WG4 Improving the financial framework" in box and 'href="/WG4/Home"' in box
    assert 'href="/Partners/Pannon%20Business%20Network%20Association"' in box
    assert "review_state" not in box and "incomplete" not in box


def _edit(client, name, text):
    page = client.get("/-/edit/" + quote(name)).get_data(as_text=True)
    base = re.search(r'name="base_revision" value="([0-9a-f]*)"', page)[1]
    return AuthActions(client).post(
        "/-/edit/" + quote(name), {"content": text, "message": "", "base_revision": base}
    )


def test_a_value_of_the_wrong_kind_is_refused_naming_the_field_and_line(records_app):
    client = client_as(records_app, "editor")
    text = best("Atlantis practice", country="Atlantis", state="done")
    r = _edit(client, "Best practices/Atlantis practice", text)
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "Country: &#39;Atlantis&#39; is not a country" in body and "(line 3)" in body
    assert "Review state" in body and "(line 8)" in body
    assert "Atlantis practice" in body and "review_state: done" in body  # the text is kept
    assert client.get("/Best%20practices/Atlantis%20practice").status_code == 404


def test_a_record_missing_required_fields_is_saved_and_marked_incomplete(records_app):
    client = client_as(records_app, "editor")
    r = _edit(client, "Best practices/Draft", "---\ntype: best-practice\nwg: WG1\n---\n# Draft\n")
    assert r.status_code == 302
    page = client.get("/Best%20practices/Draft").get_data(as_text=True)
    assert "incomplete" in page and "Still missing:" in page and "Country" in page
    listed = client.get("/-/types/best-practice?incomplete=1").get_data(as_text=True)
    assert "Draft" in listed and "Voucher scheme" not in listed


def test_the_api_refuses_a_bad_record_value_with_the_field_label(records_app):
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(f"editor:{PASSWORD}".encode()).decode()}
    r = records_app.test_client().put(
        "/-/api/v1/pages/Best practices/Bad",
        json={"content": best("Bad", wg="WG9")},
        headers=auth,
    )
    assert r.status_code == 400 and "Working group" in r.get_json()["error"]


def test_a_collection_filters_sorts_and_exports_what_is_shown(records_app):
    client = client_as(records_app, "editor")
    page = client.get("/-/types/best-practice").get_data(as_text=True)
    assert page.index("Closed practice") < page.index("Green loans") < page.index("Voucher")
    page = client.get("/-/types/best-practice?country=hungary").get_data(as_text=True)
    assert "Voucher scheme" in page and "Green loans" not in page
    page = client.get("/-/types/best-practice?sort=-country").get_data(as_text=True)
    assert page.index("Voucher scheme") < page.index("Closed practice") < page.index("Green")
    raw = client.get("/-/types/best-practice?wg=WG4&format=csv").get_data(as_text=True)
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    assert [r["title"] for r in rows] == ["Closed practice", "Voucher scheme"]
    assert rows[0]["country"] == "Greece" and rows[0]["review_state"] == "approved"
    every = list(
        csv.DictReader(
            io.StringIO(
                client.get("/-/types/best-practice?format=csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert {r["activity"] for r in every} >= {"'=1+1 loans"}  # not a spreadsheet formula
    data = client.get("/-/types/best-practice?wg=WG4&format=json").get_json()
    assert [r["title"] for r in data["records"]] == ["Closed practice", "Voucher scheme"]


def test_collections_show_only_what_the_reader_may_read(records_app):
    for user, expected in (("editor", 3), ("reader", 2), (None, 2)):
        client = client_as(records_app, user)
        data = client.get("/-/types/best-practice?format=json").get_json()
        assert len(data["records"]) == expected, user
        raw = client.get("/-/types/best-practice?format=csv").get_data(as_text=True)
        assert ("Closed practice" in raw) == (expected == 3)
        listing = client.get("/-/types").get_data(as_text=True)
        assert re.search(rf"Best practice</a></td>\s*<td>{expected}</td>", listing), user


def test_the_types_api_lists_every_type_with_its_fields(records_app):
    types = {t["id"]: t for t in records_app.test_client().get("/-/api/v1/types").get_json()}
    assert {"best-practice", "study-trip", "swot", "policy", "institution"} <= set(types)
    fields = {f["name"]: f for f in types["best-practice"]["fields"]}
    assert fields["review_state"]["values"] == ["draft", "in review", "approved"]
    assert fields["wg"]["kind"] == "working-group" and fields["country"]["required"]
    assert fields["partner"]["folder"] == "Partners"
    assert types["study-trip"]["sections"][0] == "1. Purpose"


def test_an_unknown_type_is_a_404_like_a_missing_page(records_app):
    assert records_app.test_client().get("/-/types/no-such-type").status_code == 404


def test_a_new_record_starts_from_its_type_and_saves_as_an_incomplete_draft(records_app):
    client = client_as(records_app, "editor")
    r = client.get("/-/types/best-practice/new?title=Innovation+vouchers")
    assert r.status_code == 302
    assert r.headers["Location"] == (
        "/-/edit/Best%20practices/Innovation%20vouchers?type=best-practice"
    )
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    text = re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S)[1]
    text = text.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    assert text.startswith("---\ntype: best-practice\ncountry:")
    assert "review_state:  # one of: draft, in review, approved" in text
    assert "# Innovation vouchers\n\n## Summary\n\n\n## How it works" in text
    r = _edit(client, "Best practices/Innovation vouchers", text)
    assert r.status_code == 302
    listed = client.get("/-/types/best-practice?incomplete=1").get_data(as_text=True)
    assert "Innovation vouchers" in listed
    # a reader may not write there: the form is refused, not opened
    assert (
        client_as(records_app, "reader").get("/-/types/best-practice/new?title=X").status_code
        == 403
    )


def test_compare_lines_up_fields_and_sections_of_records_of_one_type(records_app):
    client = client_as(records_app, "editor")
    r = client.get("/-/compare?page=Best practices/Voucher scheme&page=Best practices/Green loans")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    # fields as rows: one row per label, a cell per record
    country = re.search(r"<th scope=\"row\">Country</th>(.*?)</tr>", html, re.S)[1]
    assert country.index("Hungary") < country.index("Austria")
    # sections aligned by heading: one row "Summary" with both records' text
    summary = re.search(r"<th scope=\"row\">Summary</th>(.*?)</tr>", html, re.S)[1]
    assert summary.count("<p>Text.</p>") == 2
    assert client.get("/-/compare?page=Best practices/Voucher scheme").status_code == 400
    mixed = client.get("/-/compare?page=Best practices/Voucher scheme&page=Home")
    assert mixed.status_code == 400
    # a record the reader may not read cannot be compared (the same 404 as a view)
    reader = client_as(records_app, "reader")
    assert reader.get(
        "/-/compare?page=Best practices/Voucher scheme&page=WG4/Closed practice"
    ).status_code in (403, 404)


def test_the_matrix_counts_records_by_working_group_and_type(records_app):
    for user, wg4 in (("editor", 2), ("reader", 1)):
        html = client_as(records_app, user).get("/-/matrix").get_data(as_text=True)
        row = re.search(r"WG4 Improving the financial framework.*?</tr>", html, re.S)[0]
        assert f'href="/-/types/best-practice?wg=WG4">{wg4}</a>' in row, user


def test_tags_are_listed_with_counts_and_link_to_their_pages(records_app):
    client = client_as(records_app, "editor")
    _edit(client, "WG4/Tagged", "---\ntags: [financing, vouchers]\n---\n# Tagged\n")
    _edit(client, "Public note", "---\ntags: [financing]\n---\n# Public note\n")
    html = client.get("/-/tags").get_data(as_text=True)
    assert re.search(r"financing <span class=\"muted\">2</span>", html)
    assert 'href="/-/tags/financing"' in client.get("/WG4/Tagged").get_data(as_text=True)
    listed = client.get("/-/tags/financing").get_data(as_text=True)
    assert "WG4/Tagged" in listed and "Public note" in listed
    reader = client_as(records_app, "reader")
    assert "WG4/Tagged" not in reader.get("/-/tags/financing").get_data(as_text=True)
    assert reader.get("/-/tags/vouchers").status_code == 404


def test_a_query_block_draws_a_live_table_for_each_reader(records_app):
    editor = client_as(records_app, "editor")
    block = (
        "```query\ntype: best-practice\ncountry: [Hungary, Greece]\ncolumns: [title, country]\n```"
    )
    _edit(editor, "Overview", f"# Overview\n\n{block}\n")
    html = editor.get("/Overview").get_data(as_text=True)
    table = html[html.index('class="query-result"') :]
    assert "Closed practice" in table and "Voucher scheme" in table and "Green loans" not in table
    assert '<th scope="col">Country</th>' in table
    reader = client_as(records_app, "reader").get("/Overview").get_data(as_text=True)
    assert "Voucher scheme" in reader and "Closed practice" not in reader
    # never stale: a new record shows without touching the page; the source keeps the query
    _edit(editor, "Best practices/Bulgarian fund", best("Bulgarian fund", country="Greece"))
    assert "Bulgarian fund" in editor.get("/Overview").get_data(as_text=True)
    assert block in editor.get("/-/raw/Overview").get_data(as_text=True)
    _edit(editor, "Broken", "# Broken\n\n```query\ncountry: Greece\n```\n")
    assert "A query needs at least" in editor.get("/Broken").get_data(as_text=True)


def test_a_rename_rewrites_links_and_page_references_it_may_write_in_one_commit(records_app):
    editor = client_as(records_app, "editor")
    _edit(
        editor,
        "Public note",
        "# Note\n\nSee [[Partners/Pannon Business Network Association"
        "|PBN]] and [[Partners/Pannon Business Network Association]].\n",
    )
    old = "Partners/Pannon Business Network Association"
    # editor2 is not a member of WG4: WG4/Closed practice is not rewritten, nor counted
    other = client_as(records_app, "editor2")
    form = other.get("/-/rename/" + quote(old)).get_data(as_text=True)
    assert "Rewrite the 3 links and page references to it in 2 pages" in form
    head = records_app.services.pages.head()
    r = AuthActions(other).post(
        "/-/rename/" + quote(old),
        {"new_name": "Partners/Pannon Network", "base_revision": head, "rewrite_links": "1"},
    )
    assert r.status_code == 302
    wiki = records_app.services.pages
    assert "[[Partners/Pannon Network|PBN]] and [[Partners/Pannon Network]]" in (
        wiki.page("Public note").text
    )
    assert "partner: Pannon Network\n" in wiki.page("Best practices/Voucher scheme").text
    assert (
        "partner: Pannon Business Network Association\n" in wiki.page("WG4/Closed practice").text
    )  # not the renamer's to change
    history = wiki.storage.history(names_path("Best practices/Voucher scheme"))
    renamed = wiki.storage.history(names_path("Partners/Pannon Network"))
    assert history[0].id == renamed[0].id  # one commit moved the page and its links
    assert len(renamed) == 2  # the rename, and the seed before it under the old name
    box = editor.get("/Best%20practices/Voucher%20scheme").get_data(as_text=True)
    assert 'href="/Partners/Pannon%20Network"' in box


def names_path(name):
    return name + ".md"


def test_an_administrator_renames_a_field_in_the_type_and_every_record_at_once(records_app):
    admin = client_as(records_app, "admin")
    wiki = records_app.services.pages
    head = wiki.head()
    form = admin.get("/-/types/best-practice").get_data(as_text=True)
    assert "Rename in the type and its 3 records" in form
    assert "Rename a field" not in form.split("</title>")[0]  # in the page, not its title
    assert "Rename a field" not in client_as(records_app, "editor").get(
        "/-/types/best-practice"
    ).get_data(as_text=True)
    refused = AuthActions(client_as(records_app, "editor")).post(
        "/-/types/best-practice/rename-field", {"field": "activity", "new_name": "measure"}
    )
    assert refused.status_code == 403
    r = AuthActions(admin).post(
        "/-/types/best-practice/rename-field",
        {"field": "activity", "new_name": "measure", "base_revision": head},
    )
    assert r.status_code == 302
    assert "  - name: measure\n" in wiki.page("Types/Best practice").text
    for name in ("Best practices/Voucher scheme", "WG4/Closed practice"):
        text = wiki.page(name).text
        assert "measure: Cluster voucher\n" in text and "activity:" not in text
    assert len(wiki.storage.history(limit=5)) >= 1
    assert wiki.storage.history(limit=1)[0].message.startswith("Rename the field activity")
    rows = (
        client_as(records_app, "admin")
        .get("/-/types/best-practice?measure=Cluster voucher&format=json")
        .get_json()["records"]
    )
    assert {r["title"] for r in rows} == {"Voucher scheme", "Closed practice"}


def test_new_record_from_the_folder_the_user_is_in(records_app):
    client = client_as(records_app, "editor")
    page = client.get("/WG4/Closed%20practice").get_data(as_text=True)
    assert 'href="/-/new-record?folder=WG4"' in page
    form = client.get("/-/new-record?folder=WG4").get_data(as_text=True)
    assert 'value="WG4"' in form and '<option value="swot"' in form
    r = client.get("/-/new-record?type=swot&title=Hungary+SWOT&folder=WG4")
    assert r.headers["Location"] == "/-/edit/WG4/Hungary%20SWOT?type=swot"
    text = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "## Strengths" in text and "type: swot" in text
    assert client_as(records_app, None).get("/-/new-record").status_code in (302, 401, 403)


def test_a_query_block_is_read_as_safely_as_front_matter(records_app):
    editor = client_as(records_app, "editor")
    bomb = "```query\ntype: &a [x, x, x]\nb: [*a, *a, *a]\n```"
    _edit(editor, "Bomb", f"# Bomb\n\n{bomb}\n")
    page = editor.get("/Bomb")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "The query could not be read" in body
    assert "anchors and aliases" in body


def test_field_labels_follow_the_interface_language(records_app):
    client = client_as(records_app, "editor")
    client.set_cookie("ui_lang", "hu")
    box = client.get("/Best%20practices/Voucher%20scheme").get_data(as_text=True)
    assert "<dt>Ország</dt>" in box and "<dt>Country</dt>" not in box
    table = client.get("/-/types/best-practice").get_data(as_text=True)
    assert ">Ország" in table


def test_a_refused_record_is_explained_in_the_readers_language(records_app):
    from babel.support import Translations

    from wiki.i18n import TRANSLATIONS
    from wiki.i18n import compile_catalogs

    compile_catalogs()
    hu = Translations.load(str(TRANSLATIONS), ["hu"])
    client = client_as(records_app, "editor")
    client.set_cookie("ui_lang", "hu")
    r = _edit(
        client, "Best practices/Atlantis practice", best("Atlantis practice", country="Atlantis")
    )
    assert r.status_code == 400
    problem = hu.gettext("'%(text)s' is not a country the wiki knows (for example Hungary).")
    assert problem != "'%(text)s' is not a country the wiki knows (for example Hungary)."
    body = r.get_data(as_text=True).replace("&#39;", "'").replace("&quot;", '"')
    assert "Ország: " + problem % {"text": "Atlantis"} in body
    # an API client gets English
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(f"editor:{PASSWORD}".encode()).decode()}
    api = records_app.test_client().put(
        "/-/api/v1/pages/Best practices/Atlantis",
        json={"content": best("Atlantis", country="Atlantis")},
        headers={**auth, "Accept-Language": "hu"},
    )
    assert "Country: 'Atlantis' is not a country" in api.get_json()["error"]
