"""Every listing goes through the same gate as a page view, for every configuration of rights.

For each configuration (the wiki-wide READ_ACCESS × a space's read policy) and each kind of
user, the pages a user may open are found by opening them; then search, its facets, "did you
mean", suggestions, the page tree, the sidebar, recent changes, the Atom feed, backlinks, the
JSON API and git may show exactly those and nothing else.
"""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import make_app

# page name -> the word in its title that only it has
PAGES = {
    "Public/Zebpub": "Pubtitle",
    "WG4/Zebwgfour": "Membersonly",
    "WG2/Zebwgtwo": "Registeredonly",
    "Zebnotes": "Outsidetop",
    "Zebtop/Zebinner": "Outsidefolder",
}
SECRET_WORD = "quokkanest"  # only in the WG4 page: "did you mean" must not reveal it
USERS = ["anonymous", "reader", "wg4", "admin"]
CONFIGS = list(itertools.product(["anonymous", "registered"], ["members", "registered"]))


def _text(name: str, title_word: str) -> str:
    extra = f" {SECRET_WORD}" if name.startswith("WG4/") else ""
    return f"# {title_word} zebracorn\n\nThe zebracorn policy{extra}. See [[Public/Zebpub]].\n"


@pytest.fixture(scope="module", params=CONFIGS, ids=lambda c: f"read_access={c[0]},wg4={c[1]}")
def wiki(request, tmp_path_factory):
    from wiki.git.storage import Storage

    read_access, wg4_read = request.param
    tmp = tmp_path_factory.mktemp("listings")
    repo = Storage.init(tmp / "content")
    repo.import_files({"Home.md": b"# Home\n\nWelcome.\n"}, author=TEST_AUTHOR, message="seed")
    for name, word in PAGES.items():  # one commit each, as recent changes lists them
        repo.import_files(
            {f"{name}.md": _text(name, word).encode()}, author=TEST_AUTHOR, message=f"Add {name}"
        )
    app = make_app(tmp, repo, READ_ACCESS=read_access)
    users = app.services.users
    spaces = app.services.spaces
    users.add("wg4", PASSWORD, role="reader", email="wg4@example.org")
    spaces.create_space("Public", actor="test", read="anonymous", write="editors")
    spaces.create_space("WG4", actor="test", read=wg4_read, write="members")
    spaces.create_space("WG2", actor="test", read="registered", write="members")
    spaces.add_member("WG4", "wg4", actor="test")
    clients = {}
    for user in USERS:
        client = app.test_client()
        if user != "anonymous":
            assert AuthActions(client).login(user).status_code == 302
        clients[user] = client
    # who may open which page: the page view is the oracle
    readable = {
        user: {name for name in PAGES if clients[user].get(f"/{name}").status_code == 200}
        for user in USERS
    }
    yield clients, readable
    repo.close()
    app.close()


def _shown(body: str) -> set[str]:
    """The pages whose own title word appears in a response."""
    return {name for name, word in PAGES.items() if word in body}


def _named(body: str) -> set[str]:
    """The pages whose name appears in a response."""
    return {name for name in PAGES if name.rsplit("/", 1)[-1] in body}


@pytest.mark.parametrize("user", USERS)
def test_the_gate_itself_follows_the_configuration(wiki, user):
    clients, readable = wiki
    assert "Public/Zebpub" in readable[user]
    assert readable["admin"] == set(PAGES)
    anonymous = readable["anonymous"]
    client = clients["anonymous"]
    outside_open = client.application.config["READ_ACCESS"] == "anonymous"
    assert ("Zebnotes" in anonymous) == outside_open
    assert ("Zebtop/Zebinner" in anonymous) == outside_open
    assert "WG2/Zebwgtwo" not in anonymous


@pytest.mark.parametrize("user", USERS)
def test_search_shows_exactly_the_readable_pages(wiki, user):
    clients, readable = wiki
    client = clients[user]
    page = client.get("/-/search?q=zebracorn").get_data(as_text=True)
    assert _shown(page) == readable[user]
    found = client.get("/-/api/v1/search?q=zebracorn").get_json()
    assert {hit["name"] for hit in found["results"]} == readable[user]
    assert found["total"] == len(readable[user])
    folders = found["facets"].get("folder", {})
    for folder in ("WG4", "WG2", "Zebtop", "Public"):
        visible = {n for n in readable[user] if n.startswith(folder + "/")}
        assert folders.get(folder, 0) == len(visible), folder
    suggested = client.get("/-/api/v1/suggest?q=zeb").get_json()
    assert {s["name"] for s in suggested} <= readable[user]
    assert "Zebnotes" not in {s["name"] for s in suggested} or "Zebnotes" in readable[user]


@pytest.mark.parametrize("user", USERS)
def test_did_you_mean_never_offers_a_word_of_an_unreadable_page(wiki, user):
    clients, readable = wiki
    found = clients[user].get("/-/api/v1/search?q=quokkanast").get_json()
    if "WG4/Zebwgfour" in readable[user]:
        assert found["suggestion"] == SECRET_WORD
    else:
        assert found["suggestion"] is None
        assert SECRET_WORD not in clients[user].get("/-/search?q=quokkanast").get_data(as_text=True)


@pytest.mark.parametrize("user", USERS)
def test_the_tree_the_sidebar_and_the_api_list_only_readable_pages(wiki, user):
    clients, readable = wiki
    client = clients[user]
    tree = client.get("/-/pages")
    assert tree.status_code == 200
    assert _named(tree.get_data(as_text=True)) == readable[user]
    listed = client.get("/-/api/v1/pages").get_json()
    assert set(listed) & set(PAGES) == readable[user]
    sidebar = client.get("/Public/Zebpub").get_data(as_text=True)
    top_folders = {"Zebtop": "Zebtop/Zebinner", "WG4": "WG4/Zebwgfour", "WG2": "WG2/Zebwgtwo"}
    for folder, page in top_folders.items():
        assert (f'href="/{folder}"' in sidebar) == (page in readable[user]), folder


@pytest.mark.parametrize("user", USERS)
def test_recent_changes_the_feed_and_backlinks_show_only_readable_pages(wiki, user):
    clients, readable = wiki
    client = clients[user]
    recent = client.get("/-/recent").get_data(as_text=True)
    assert _named(recent) == readable[user]
    # a feed is read by applications without the browser's session: anonymous, or the
    # account of a feed token in its address
    feed = client.get("/-/recent.atom")
    if readable["anonymous"]:
        assert _named(feed.get_data(as_text=True)) == readable["anonymous"]
    else:
        assert feed.status_code in (302, 401) and not _named(feed.get_data(as_text=True))
    if user != "anonymous":
        app = client.application
        secret, _ = app.services.users.create_token(user, "feed reader", scope="feed")
        feed = app.test_client().get(f"/-/recent.atom?token={secret}").get_data(as_text=True)
        assert _named(feed) == readable[user]
    backlinks = client.get("/-/backlinks/Public/Zebpub").get_data(as_text=True)
    assert _named(backlinks) - {"Public/Zebpub"} == readable[user] - {"Public/Zebpub"}


@pytest.mark.parametrize("user", USERS)
def test_git_serves_only_who_may_read_every_page(wiki, user):
    clients, readable = wiki
    import base64

    client = clients["anonymous"]
    headers = {}
    if user != "anonymous":
        token = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    r = client.get("/-/git/content.git/info/refs?service=git-upload-pack", headers=headers)
    assert (r.status_code == 200) == (readable[user] == set(PAGES))
