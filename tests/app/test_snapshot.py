"""A text and the revision handed out with it come from one snapshot.

Someone else's commit is forced to land right after the N-th time the request reads HEAD,
for every N: wherever it lands between two reads, the edit form, the API and the page view
hand out a text and a base revision (and a "last changed") that belong together, so that
saving the text merges the other change instead of quietly undoing it.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import csrf_of
from wiki.git.storage import Storage
from wiki.model import Author

PATH = "WG4/Guarantees.md"
NAME = "WG4/Guarantees"
START = "# Guarantees\n\nFirst part.\n\n## Middle\n\nSecond part.\n\n## End\n\nThird part.\n"
OTHER = Author("Bea Both", "ed2@example.org")


@pytest.fixture
def race(app):
    """`arm(n)`: after the n-th read of HEAD from now, Bea's commit lands on the page (in
    the request that follows; `disarm()` ends it)."""
    storage = app.services.pages.storage
    other = Storage(storage.root)
    real_head = storage.head
    state = {"left": 0}

    def head():
        value = real_head()
        if state["left"] > 0:
            state["left"] -= 1
            if state["left"] == 0:
                text = other.read(PATH).replace("Third part.", "Third part, Bea's edit.")
                other.write(PATH, text, author=OTHER, message="Bea", base_revision=value)
        return value

    storage.head = head

    class Race:
        def arm(self, n: int) -> None:
            storage.import_files({PATH: START.encode()}, author=TEST_AUTHOR, message="reset")
            state["left"] = n

        def disarm(self) -> bool:
            """Stop (before a save: the other writer would wait for the save's lock);
            whether Bea's commit landed."""
            landed = state["left"] == 0
            state["left"] = 0
            return landed

    yield Race()
    del storage.head
    other.close()


def _form(page: str) -> tuple[str, str]:
    text = re.search(r'<textarea id="content" name="content"[^>]*>(.*?)</textarea>', page, re.S)
    base = re.search(r'name="base_revision" value="([0-9a-f]*)"', page)
    return html.unescape(text.group(1)), base.group(1)


@pytest.mark.parametrize("n", range(1, 7))
def test_the_edit_form_never_pairs_old_text_with_a_new_base(app, client, race, n):
    AuthActions(client).login("admin")
    race.arm(n)
    text, base = _form(client.get(f"/-/edit/{NAME}").get_data(as_text=True))
    landed = race.disarm()
    assert landed or n > 1  # the form reads HEAD at least once
    mine = text.replace("First part.", "First part, my edit.")
    r = client.post(
        f"/-/edit/{NAME}",
        data={"content": mine, "base_revision": base, "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 302
    final = app.services.pages.storage.read(PATH)
    assert "my edit" in final
    # lost when the form carried the text from before Bea's commit with a base after it
    assert ("Bea's edit" in final) == landed


@pytest.mark.parametrize("n", range(1, 7))
def test_the_api_hands_out_a_revision_that_belongs_to_its_content(app, client, race, n):
    AuthActions(client).login("admin")
    race.arm(n)
    page = client.get(f"/-/api/v1/pages/{NAME}").get_json()
    landed = race.disarm()
    assert landed or n > 1
    # the content is the page as it was at the revision (and at the head) given with it
    for rev in (page["revision"], page["head"]):
        at = client.get(f"/-/api/v1/pages/{NAME}?rev={rev}").get_json()
        assert at["content"] == page["content"]
    mine = page["content"].replace("First part.", "First part, my edit.")
    r = client.put(
        f"/-/api/v1/pages/{NAME}",
        json={"content": mine, "base_revision": page["revision"]},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert r.status_code == 200, r.get_json()
    final = app.services.pages.storage.read(PATH)
    assert "my edit" in final and ("Bea's edit" in final) == landed


@pytest.mark.parametrize("n", range(1, 5))
def test_the_page_view_shows_the_last_change_of_the_text_it_shows(app, client, race, n):
    AuthActions(client).login("admin")
    race.arm(n)
    body = client.get(f"/{NAME}").get_data(as_text=True)
    race.disarm()
    shows_bea_text = "Bea&#39;s edit" in body or "Bea's edit" in body
    last_by_bea = re.search(r"Last edited by <strong><span class=\"author\">Bea Both", body)
    assert bool(last_by_bea) == shows_bea_text


@pytest.mark.parametrize("action", ["delete", "rename"])
def test_delete_and_rename_refuse_a_page_changed_after_the_form_was_opened(app, client, action):
    AuthActions(client).login("admin")
    page = client.get(f"/-/{action}/{NAME}").get_data(as_text=True)
    base = re.search(r'name="base_revision" value="([0-9a-f]+)"', page).group(1)
    storage = app.services.pages.storage
    storage.write(
        PATH,
        storage.read(PATH) + "\nA late addition.\n",
        author=OTHER,
        message="late",
        base_revision=base,
    )
    data = {"base_revision": base, "csrf_token": csrf_of(client)}
    if action == "rename":
        data["new_name"] = "WG4/Moved"
    r = client.post(f"/-/{action}/{NAME}", data=data)
    assert r.status_code == 409
    assert "changed this page after you opened this form" in r.get_data(as_text=True)
    assert "A late addition." in storage.read(PATH)  # still there, under its name
    # the form now carries the new base: submitting again acts on the page as it is
    fresh = re.search(r'name="base_revision" value="([0-9a-f]+)"', r.get_data(as_text=True))
    data["base_revision"] = fresh.group(1)
    assert client.post(f"/-/{action}/{NAME}", data=data).status_code == 302


def test_a_restore_keeps_a_change_made_after_the_history_was_opened(app, client):
    AuthActions(client).login("admin")
    storage = app.services.pages.storage
    storage.import_files({PATH: START.encode()}, author=TEST_AUTHOR, message="reset")
    old = storage.head()
    storage.write(
        PATH,
        START.replace("Second part.", "Second part, rewritten."),
        author=TEST_AUTHOR,
        message="rewrite",
        base_revision=old,
    )
    page = client.get(f"/-/history/{NAME}").get_data(as_text=True)
    base = re.search(r'name="base_revision" value="([0-9a-f]+)"', page).group(1)
    storage.write(
        PATH,
        storage.read(PATH).replace("Third part.", "Third part, Bea's edit."),
        author=OTHER,
        message="Bea",
        base_revision=base,
    )
    r = client.post(
        f"/-/restore/{NAME}",
        data={"revision": old, "base_revision": base, "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 302
    final = storage.read(PATH)
    assert "Second part.\n" in final and "rewritten" not in final  # restored
    assert "Bea's edit" in final  # and Bea's later change is kept
