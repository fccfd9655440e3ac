"""Display names are not identities: history and recent changes name the account beside the
display name, so nobody can pose as someone else by choosing their name."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.conftest import AuthActions


def test_history_and_recent_changes_show_the_account_beside_the_display_name(app, client):
    app.services.users.add(
        "mallory", PASSWORD, role="editor", email="m@example.org", display_name="Ada Admin"
    )
    auth = AuthActions(client)
    auth.login("mallory")
    r = auth.post(
        "/-/edit/Home",
        data={
            "content": "# Home\n\nChanged by someone.\n",
            "base_revision": app.services.pages.head(),
        },
    )
    assert r.status_code == 302
    for url in ("/-/history/Home", "/-/recent", "/Home"):
        body = client.get(url).get_data(as_text=True)
        assert "Ada Admin" in body and "@mallory" in body, url
    feed = client.get("/-/recent.atom").get_data(as_text=True)
    assert "Ada Admin (@mallory)" in feed
    api = client.get("/-/api/v1/pages/Home/history?limit=1").get_json()[0]
    assert (api["author"], api["account"], api["via"]) == ("Ada Admin", "mallory", "web")


def test_accounts_survive_a_rebuild_of_the_revision_table(app, client):
    auth = AuthActions(client)
    auth.login("editor")
    auth.post(
        "/-/edit/Home",
        data={"content": "# Home\n\nEdited.\n", "base_revision": app.services.pages.head()},
    )
    storage = app.services.pages.storage
    storage.rebuild_revindex()
    newest = storage.history("Home.md", limit=1)[0]
    assert newest.account == "editor" and newest.via == "web"
