import base64

import pytest

from tests.conftest import PASSWORD
from tests.conftest import csrf_of


def basic(user="editor", password=PASSWORD):
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_list_and_get(client):
    assert client.get("/-/api/v1/pages").get_json() == ["Home", "WG4/Guarantees", "WG4/Home"]
    data = client.get("/-/api/v1/pages/WG4/Home").get_json()
    assert data["name"] == "WG4/Home" and data["title"] == "WG4 Financing"
    assert data["meta"] == {"title": "WG4 Financing", "wg": "WG4", "tags": ["financing"]}
    assert data["content"].startswith("---\n") and len(data["revision"]) == 40


def test_get_missing_is_json_404(client):
    r = client.get("/-/api/v1/pages/Nope")
    assert r.status_code == 404 and "Nope" in r.get_json()["error"]


def test_put_with_basic_auth_creates_and_updates(client, app):
    r = client.put(
        "/-/api/v1/pages/WG2/Eco", json={"content": "# Eco\n", "message": "new"}, headers=basic()
    )
    assert r.status_code == 201
    rev = r.get_json()["revision"]
    assert r.get_json()["merged"] is False
    r = client.put(
        "/-/api/v1/pages/WG2/Eco",
        json={"content": "# Eco 2\n", "base_revision": rev},
        headers=basic(),
    )
    assert r.status_code == 200 and r.get_json()["changed"] is True
    history = client.get("/-/api/v1/pages/WG2/Eco/history").get_json()
    assert [h["message"] for h in history] == ["Update WG2/Eco", "new"]
    assert history[0]["author"] == "Edit Őrző"


def test_put_conflict_and_merge(client):
    base = client.get("/-/api/v1/pages/Home").get_json()["revision"]
    r = client.put(
        "/-/api/v1/pages/Home",
        headers=basic("editor2"),
        json={
            "content": "# Home of friends\n\nWelcome. See [[WG4/Home]] and [[Missing page]].\n",
            "base_revision": base,
        },
    )
    assert r.status_code == 200
    r = client.put(
        "/-/api/v1/pages/Home",
        headers=basic(),
        json={
            "content": "# My home\n\nWelcome. See [[WG4/Home]] and [[Missing page]].\n",
            "base_revision": base,
        },
    )
    assert r.status_code == 409
    body = r.get_json()
    assert body["error"] == "conflict" and "friends" in body["current_content"]
    assert len(body["current_revision"]) == 40
    r = client.put(
        "/-/api/v1/pages/Home",
        headers=basic(),
        json={
            "content": "# Home\n\nWelcome. See [[WG4/Home]] and [[Missing page]].\n\nAppended.\n",
            "base_revision": base,
        },
    )
    assert r.status_code == 200 and r.get_json()["merged"] is True


def test_put_without_base_on_an_existing_page_is_a_conflict(client):
    r = client.put("/-/api/v1/pages/Home", json={"content": "overwrite\n"}, headers=basic())
    assert r.status_code == 409


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"content": 5},
        {"content": "x", "message": 3},
        {"content": "x", "base_revision": "HEAD~1"},
        {"content": "---\na: [\n---\n"},
    ],
)
def test_put_bad_input_is_json_400(client, body):
    r = client.put("/-/api/v1/pages/New", json=body, headers=basic())
    assert r.status_code == 400 and r.get_json()["error"]


def test_put_bad_name_is_400(client):
    r = client.put("/-/api/v1/pages/CON", json={"content": "x"}, headers=basic())
    assert r.status_code == 400 and "reserved" in r.get_json()["error"]


def test_api_permissions(client):
    assert client.put("/-/api/v1/pages/X", json={"content": "x"}).status_code == 401  # anonymous
    assert (
        client.put("/-/api/v1/pages/X", json={"content": "x"}, headers=basic("reader")).status_code
        == 403
    )
    assert (
        client.put(
            "/-/api/v1/pages/X", json={"content": "x"}, headers=basic("editor", "wrong-password")
        ).status_code
        == 401
    )
    assert client.delete("/-/api/v1/pages/Home", headers=basic("reader")).status_code == 403


def test_session_plus_csrf_header(client, auth):
    auth.login("editor")
    token = csrf_of(client)
    r = client.put("/-/api/v1/pages/Via session", json={"content": "# s\n"})
    assert r.status_code == 400
    r = client.put(
        "/-/api/v1/pages/Via session", json={"content": "# s\n"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 201


def test_delete(client):
    r = client.delete("/-/api/v1/pages/WG4/Guarantees", headers=basic())
    assert r.status_code == 200 and r.get_json()["deleted"] == "WG4/Guarantees"
    assert client.get("/-/api/v1/pages/WG4/Guarantees").status_code == 404
    assert client.delete("/-/api/v1/pages/WG4/Guarantees", headers=basic()).status_code == 404


def test_history_paging_arguments(client):
    assert client.get("/-/api/v1/pages/Home/history?limit=1&offset=0").status_code == 200
    assert client.get("/-/api/v1/pages/Home/history?limit=x").status_code == 400
    assert client.get("/-/api/v1/pages/Home/history?offset=-1").status_code == 400
    assert client.get("/-/api/v1/pages/Nope/history").status_code == 404


def test_old_revision(client, app):
    first = client.get("/-/api/v1/pages/Home").get_json()["revision"]
    client.put(
        "/-/api/v1/pages/Home", json={"content": "new\n", "base_revision": first}, headers=basic()
    )
    old = client.get(f"/-/api/v1/pages/Home?rev={first}").get_json()
    assert old["content"].startswith("# Home")


# -- who an API or git request is ------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("put", "/-/api/v1/pages/Home"),
        ("delete", "/-/api/v1/pages/Home"),
        ("put", "/-/api/v1/pages/Brand new"),
    ],
)
def test_anonymous_api_writes_are_asked_to_authenticate(client, app, method, url):
    head = app.services.pages.head()
    r = getattr(client, method)(url, json={"content": "# anonymous\n"})
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith('Basic realm="wiki"')
    assert "token" in r.get_json()["error"] and "expired" not in r.get_json()["error"]
    assert app.services.pages.head() == head


def test_a_method_the_api_does_not_take_is_405(client):
    r = client.post("/-/api/v1/pages/Home", json={"content": "# anonymous\n"})
    assert r.status_code == 405 and "does not accept" in r.get_json()["error"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_HEADERS = [
    "",
    "Basic",
    "Basic !!!not-base64",
    "Basic " + _b64("no-colon-here"),
    "Basic " + _b64(f"editor:{PASSWORD}x"),
    "Basic " + _b64("nobody:wiki_madeup"),
    "Bearer",
    "Bearer wiki_madeup",
    "Bearer " + PASSWORD,
    "Token wiki_madeup",
    "Digest username=editor",
]


@pytest.mark.parametrize("header", BAD_HEADERS)
@pytest.mark.parametrize(
    "url", ["/-/api/v1/pages", "/-/git/content.git/info/refs?service=git-upload-pack"]
)
def test_an_authorization_header_that_does_not_authenticate_is_refused(client, header, url):
    r = client.get(url, headers={"Authorization": header})
    assert r.status_code == 401  # never served as if anonymous
    assert r.headers["WWW-Authenticate"].startswith('Basic realm="wiki"')


def test_the_header_alone_decides_who_calls_not_the_session(client, auth, app):
    auth.login("editor")
    token = csrf_of(client)
    wiki = app.services.pages
    head = wiki.head()
    wrong = {"Authorization": "Basic " + _b64("editor:wrong-password"), "X-CSRF-Token": token}
    # a wrong header is refused, not replaced by the session's editor
    r = client.put("/-/api/v1/pages/Home", json={"content": "# x\n"}, headers=wrong)
    assert r.status_code == 401
    assert client.get("/-/api/v1/pages", headers=wrong).status_code == 401
    # a malformed one does not count as "not a browser" either (no CSRF exemption)
    r = client.put(
        "/-/api/v1/pages/Home", json={"content": "# x\n"}, headers={"Authorization": "Bearer"}
    )
    assert r.status_code == 401
    # the reader's credentials make it the reader's request, whoever's session is there
    r = client.put("/-/api/v1/pages/Home", json={"content": "# x\n"}, headers=basic("reader"))
    assert r.status_code == 403
    assert wiki.head() == head
    # the session still works on its own (with its CSRF token), as before
    r = client.put(
        "/-/api/v1/pages/By session",
        json={"content": "# by session\n"},
        headers={"X-CSRF-Token": token},
    )
    assert r.status_code == 201
    assert wiki.page("By session").last_change.author.name == "Edit Őrző"
