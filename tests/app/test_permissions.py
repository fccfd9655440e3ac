"""The permission matrix: every role × every route × a public page, a WG4 page and a page
outside any space. One gate decides; this checks that every way in asks it."""

from __future__ import annotations

import base64
import re

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import csrf_of
from tests.conftest import make_app

PUBLIC, WG4, OUTSIDE = "Public/Annual report", "WG4/Zanzibar plan", "Notes"
PAGES = {
    PUBLIC: "---\ncountry: Italy\n---\n# Annual report\n\nOpen results. See [[Notes]].\n",
    WG4: "---\ncountry: Atlantis\n---\n# Zanzibar plan\n\nQuokka draft. See [[Notes]].\n",
    OUTSIDE: "# Notes\n\nWiki-wide notes.\n",
    "WG2/Home": "# WG2\n\nSustainability.\n",
}
ROLES = ["anonymous", "reader", "wg4", "wg2", "editor", "admin"]

# who may read / write each page (WG4 is members-only here; see the starter test below)
READS = {
    PUBLIC: set(ROLES),
    WG4: {"wg4", "admin"},
    OUTSIDE: set(ROLES),
}
WRITES = {
    PUBLIC: {"editor", "admin"},
    WG4: {"wg4", "admin"},
    OUTSIDE: {"editor", "admin"},
}


def build(tmp_path, content_repo, *, wg4_read="members"):
    for name, text in PAGES.items():  # one commit each, as recent changes lists them
        content_repo.import_files(
            {f"{name}.md": text.encode()}, author=TEST_AUTHOR, message=f"Add {name}"
        )
    app = make_app(tmp_path, content_repo)
    users = app.services.users
    spaces = app.services.spaces
    # members of working groups are plain readers: membership alone lets them write
    users.add("wg4", PASSWORD, role="reader", email="wg4@example.org", display_name="Gus Four")
    users.add("wg2", PASSWORD, role="reader", email="wg2@example.org", display_name="Tia Two")
    spaces.create_space("Public", actor="test", read="anonymous", write="editors")
    spaces.create_space("WG4", actor="test", read=wg4_read, write="members")
    spaces.create_space("WG2", actor="test", read="registered", write="members")
    spaces.create_group("pannon", actor="test", title="Pannon Business Network")
    spaces.add_to_group("pannon", "wg4", actor="test")
    spaces.add_member("WG4", "pannon", actor="test", kind="group")  # through a group
    spaces.add_member("WG2", "wg2", actor="test")  # directly
    return app


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    from wiki.git.storage import Storage

    tmp = tmp_path_factory.mktemp("matrix")
    repo = Storage.init(tmp / "content")
    from tests.conftest import SEED

    repo.import_files({k: v.encode() for k, v in SEED.items()}, author=TEST_AUTHOR, message="seed")
    app = build(tmp, repo)
    yield app
    repo.close()
    app.close()


def client_as(app, role):
    client = app.test_client()
    if role != "anonymous":
        r = AuthActions(client).login(role)
        assert r.status_code == 302, role
    return client


def read_routes(page, head):
    return [
        f"/{page}",
        f"/{page}?rev={head}",
        f"/-/raw/{page}",
        f"/-/history/{page}",
        f"/-/diff/{page}",
        f"/-/backlinks/{page}",
        f"/-/api/v1/pages/{page}",
        f"/-/api/v1/pages/{page}/history",
    ]


@pytest.mark.parametrize("page", list(READS))
@pytest.mark.parametrize("role", ROLES)
def test_reading_a_page_by_every_route(matrix, role, page):
    client = client_as(matrix, role)
    head = matrix.services.pages.head()
    wrong = []
    for url in read_routes(page, head):
        r = client.get(url)
        api = url.startswith("/-/api/")
        if role in READS[page]:
            expected = {200}
        elif role == "anonymous":
            expected = {401} if api else {302}  # log in first; the same for any name
        else:
            expected = {404}  # private pages do not exist for those who may not read
        if r.status_code not in expected:
            wrong.append((url, r.status_code))
        if r.status_code == 404:
            assert "Zanzibar" not in r.get_data(as_text=True)
    assert wrong == []


@pytest.mark.parametrize("page", list(READS))
@pytest.mark.parametrize("role", ROLES)
def test_opening_the_write_forms(matrix, role, page):
    client = client_as(matrix, role)
    wrong = []
    for url in (f"/-/edit/{page}", f"/-/rename/{page}", f"/-/delete/{page}"):
        r = client.get(url)
        if role in WRITES[page]:
            expected = 200
        elif role == "anonymous":
            expected = 302
        elif role in READS[page]:
            expected = 403
        else:
            expected = 404
        if r.status_code != expected:
            wrong.append((url, r.status_code))
    view = client.get(f"/{page}")
    if role in READS[page]:
        shows_edit = f'href="/-/edit/{page.replace(" ", "%20")}"' in view.get_data(as_text=True)
        assert shows_edit == (role in WRITES[page])
    assert wrong == []


@pytest.mark.parametrize("page", list(READS))
@pytest.mark.parametrize("role", ROLES)
def test_changing_a_page_by_every_route(tmp_path, content_repo, role, page):
    app = build(tmp_path, content_repo)
    wiki = app.services.pages
    client = client_as(app, role)
    original = wiki.page(page).last_change.id
    new = page.rsplit("/", 1)[0] + "/Renamed" if "/" in page else "Renamed"
    token = csrf_of(client)
    requests = [
        (
            "preview",
            lambda: client.post(
                "/-/preview", data={"content": "# x", "name": page, "csrf_token": token}
            ),
        ),
        (
            "edit",
            lambda: client.post(
                f"/-/edit/{page}",
                data={"content": "# Changed\n", "base_revision": wiki.head(), "csrf_token": token},
            ),
        ),
        (
            "api put",
            lambda: client.put(
                f"/-/api/v1/pages/{page}",
                json={"content": "# API\n", "base_revision": wiki.head()},
                headers={"X-CSRF-Token": token},
            ),
        ),
        (
            "restore",
            lambda: client.post(
                f"/-/restore/{page}", data={"revision": original, "csrf_token": token}
            ),
        ),
        (
            "rename",
            lambda: client.post(f"/-/rename/{page}", data={"new_name": new, "csrf_token": token}),
        ),
        (
            "rename back",
            lambda: client.post(f"/-/rename/{new}", data={"new_name": page, "csrf_token": token}),
        ),
        ("delete", lambda: client.post(f"/-/delete/{page}", data={"csrf_token": token})),
        (
            "restore deleted",
            lambda: client.post(
                f"/-/restore/{page}", data={"revision": original, "csrf_token": token}
            ),
        ),
        (
            "api delete",
            lambda: client.delete(f"/-/api/v1/pages/{page}", headers={"X-CSRF-Token": token}),
        ),
    ]
    wrong = []
    for label, send in requests:
        head = wiki.head()
        r = send()
        allowed = role in WRITES[page]
        if label == "preview":
            ok = r.status_code == 200 if allowed else r.status_code in (401, 403, 404)
        elif allowed:
            ok = r.status_code in (200, 201, 302) and wiki.head() != head
        else:
            if role == "anonymous":
                refused = {401}  # (the edit form comes back with the text, 401)
            elif label == "edit" or role in READS[page]:
                refused = {403}  # the edit form comes back with the text, 403
            else:
                refused = {404}
            ok = r.status_code in refused and wiki.head() == head
            if label == "edit":
                ok = ok and "# Changed" in r.get_data(as_text=True)  # text handed back
        if not ok:
            wrong.append((label, r.status_code))
    assert wrong == []
    app.close()


MARKER = {PUBLIC: "Annual report", WG4: "Zanzibar", OUTSIDE: "Notes"}


@pytest.mark.parametrize("role", ROLES)
def test_lists_search_and_feeds_show_only_what_the_user_may_read(matrix, role):
    client = client_as(matrix, role)
    sees_wg4 = role in READS[WG4]
    wrong = []
    # feeds are read with the account's feed token (without one they are anonymous)
    feed = "/-/recent.atom"
    if role != "anonymous":
        feed += "?token=" + matrix.services.users.create_token(role, "feed", scope="feed")[0]
    pages = [
        "/-/recent",
        feed,
        "/-/pages",
        "/-/search?q=draft+OR+report+OR+notes",
        "/-/api/v1/search?q=draft+OR+report+OR+notes",
        "/-/api/v1/suggest?q=zanz",
        "/-/api/v1/pages",
        "/-/backlinks/Notes",
        "/-/spaces",
        "/Notes",  # the sidebar
    ]
    for url in pages:
        r = client.get(url)
        if r.status_code != 200:
            wrong.append((url, r.status_code))
            continue
        text = r.get_data(as_text=True)
        if ("Zanzibar" in text) != sees_wg4 and url not in ("/-/spaces", "/Notes"):
            wrong.append((url, "shows WG4" if not sees_wg4 else "hides WG4"))
        if url == "/-/spaces" and ('href="/-/spaces/WG4"' in text) != sees_wg4:
            wrong.append((url, "space list"))
    facets = client.get("/-/api/v1/search?q=draft+OR+report").get_json()["facets"]
    if ("Atlantis" in facets.get("country", {})) != sees_wg4:
        wrong.append(("facets", facets.get("country")))
    assert wrong == []


def test_the_space_home_lists_members_changes_and_pages(matrix):
    client = client_as(matrix, "wg4")
    r = client.get("/-/spaces/WG4")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "pannon" in html and "Gus Four" in html  # the group and who is in it
    assert "Zanzibar plan" in html and "Guarantees" in html  # its pages and its changes
    # the space's own Home page shows the same panel
    home = client.get("/WG4/Home").get_data(as_text=True)
    assert "Members" in home and "Gus Four" in home and "Recent changes" in home
    assert client_as(matrix, "wg2").get("/-/spaces/WG4").status_code == 404
    assert client_as(matrix, "wg2").get("/-/spaces/Nope").status_code == 404


def test_rename_needs_the_right_to_write_at_both_ends(tmp_path, content_repo):
    app = build(tmp_path, content_repo)
    wiki = app.services.pages
    client = client_as(app, "editor")
    head = wiki.head()
    r = AuthActions(client).post(f"/-/rename/{PUBLIC}", {"new_name": "WG4/Leaked"})
    assert r.status_code == 403 and wiki.head() == head
    assert "WG4" in r.get_data(as_text=True)
    client = client_as(app, "wg4")
    r = AuthActions(client).post(f"/-/rename/{WG4}", {"new_name": "Public/Published"})
    assert r.status_code == 403 and wiki.head() == head
    client = client_as(app, "admin")
    r = AuthActions(client).post(f"/-/rename/{WG4}", {"new_name": "Public/Published"})
    assert r.status_code == 302 and wiki.exists("Public/Published")


def test_renamed_private_pages_do_not_redirect_to_their_new_name(tmp_path, content_repo):
    app = build(tmp_path, content_repo)
    wiki = app.services.pages
    from wiki.model import Author

    wiki.rename_page(OUTSIDE, "WG4/Moved notes", author=Author("A", "a@x"))
    r = client_as(app, "editor").get(f"/{OUTSIDE}")
    assert r.status_code == 404 and "Moved notes" not in r.get_data(as_text=True)
    r = client_as(app, "wg4").get(f"/{OUTSIDE}")
    assert r.status_code == 301 and r.headers["Location"].endswith("/WG4/Moved%20notes")


def test_starter_policy_registered_users_read_members_write(tmp_path, content_repo):
    app = build(tmp_path, content_repo, wg4_read="registered")
    assert client_as(app, "anonymous").get(f"/{WG4}").status_code == 302
    wg2 = client_as(app, "wg2")
    assert wg2.get(f"/{WG4}").status_code == 200
    assert f"/-/edit/{WG4}" not in wg2.get(f"/{WG4}").get_data(as_text=True).replace("%20", " ")
    assert wg2.get(f"/-/edit/{WG4}").status_code == 403
    assert "Zanzibar" in wg2.get("/-/search?q=quokka").get_data(as_text=True)
    assert "Zanzibar" not in client_as(app, "anonymous").get("/-/search?q=quokka").get_data(
        as_text=True
    )


def test_api_tokens_carry_the_users_rights(tmp_path, content_repo):
    app = build(tmp_path, content_repo)
    users = app.services.users
    secret, _ = users.create_token("wg4", "laptop")
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/-/api/v1/pages/{WG4}", headers=bearer).status_code == 200
    head = app.services.pages.head()
    r = client.put(
        f"/-/api/v1/pages/{WG4}",
        json={"content": "# By token\n", "base_revision": head},
        headers=bearer,
    )
    assert r.status_code == 200 and app.services.pages.source(WG4) == "# By token\n"
    assert (
        client.put(f"/-/api/v1/pages/{PUBLIC}", json={"content": "x"}, headers=bearer).status_code
        == 403
    )
    basic = base64.b64encode(f"wg4:{secret}".encode()).decode()
    r = client.get(f"/-/api/v1/pages/{WG4}", headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200
    # the token belongs to wg4: another user name with it is refused
    basic = base64.b64encode(f"wg2:{secret}".encode()).decode()
    r = client.get(f"/-/api/v1/pages/{WG4}", headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 401 and "WWW-Authenticate" in r.headers
    token_id = users.tokens("wg4")[0].id
    users.revoke_token("wg4", token_id)
    r = client.get(f"/-/api/v1/pages/{WG4}", headers=bearer)
    assert r.status_code == 401 and r.get_json()["error"]
    users.set_disabled("wg4", True)
    secret2, _ = users.create_token("wg4", "another")
    r = client.get(f"/-/api/v1/pages/{WG4}", headers={"Authorization": f"Bearer {secret2}"})
    assert r.status_code == 401


def test_the_new_page_link_starts_where_the_user_may_write(matrix):
    def link(role):
        client = client_as(matrix, role)
        html = client.get("/Notes").get_data(as_text=True)
        found = re.search(r'href="(/-/new[^"]*)" data-new-page', html)
        if not found:
            return None
        # the link asks for the name first, in a folder where the user may write
        form = client.get(found.group(1).replace("&amp;", "&")).get_data(as_text=True)
        folder = re.search(r'name="folder" value="([^"]*)"', form).group(1).rstrip("/")
        return f"{folder}/New page" if folder else "New page"

    assert link("editor") == "New page"
    assert link("wg4") == "WG4/New page"  # a reader who is a member of WG4
    assert link("reader") is None and link("anonymous") is None
