"""Discussions under pages: comments in git beside the page, replies, edits, hiding,
the space's comment setting, consultations, search, renames and a clone."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from wiki.discussions import thread
from wiki.model import Author
from wiki.pages import names

DRAFT = (
    "---\ntitle: Draft cluster financing policy\nwg: WG4\nconsultation_until: {until}\n---\n"
    "# Draft cluster financing policy\n\nGuarantee schemes for cluster members.\n"
)


def _comment(auth, name, body, reply_to=""):
    return auth.post(f"/-/comment/{name}", {"body": body, "reply_to": reply_to})


def _ids(html: str) -> list[str]:
    return re.findall(r'<article class="comment[^"]*" id="c-([a-z0-9]+)"', html)


def test_a_reader_comments_and_the_comment_is_a_commit_in_a_clone(app, client, auth, tmp_path):
    auth.login("reader")  # may read, may not edit
    response = _comment(auth, "WG4/Guarantees", "Is **this** scheme open to *micro* firms?")
    assert response.status_code == 302
    ident = response.headers["Location"].rsplit("#c-", 1)[1]
    html = client.get("/WG4/Guarantees").get_data(as_text=True)
    assert f'id="c-{ident}"' in html
    assert "<strong>this</strong>" in html and "Rita Reader" in html
    storage = app.services.storage
    text = storage.read("WG4/Guarantees.discussion.md")
    assert f"<!-- comment id={ident} by=reader " in text
    last = storage.history("WG4/Guarantees.discussion.md")[0]
    assert last.account == "reader" and last.author.name == "Rita Reader"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(storage.root), str(clone)], check=True)
    assert "micro" in (clone / "WG4" / "Guarantees.discussion.md").read_text()
    # the discussion file is no page and no attachment
    assert client.get("/-/pages").get_data(as_text=True).count("Guarantees.discussion") == 0
    assert "WG4/Guarantees.discussion" not in app.services.pages.page_names()


def test_comments_are_sanitized_and_replies_nest_one_level(client, auth):
    auth.login("reader")
    first = _comment(auth, "Home", "<script>alert(1)</script> hello [x](javascript:alert(2))")
    top = first.headers["Location"].rsplit("#c-", 1)[1]
    auth.logout()
    auth.login("editor")
    reply = _comment(auth, "Home", "An answer", reply_to=top)
    answer = reply.headers["Location"].rsplit("#c-", 1)[1]
    _comment(auth, "Home", "An answer to the answer", reply_to=answer)
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert 'href="javascript:' not in html
    section = html[html.index('id="discussion"') :]
    replies = section[section.index('class="replies') :]
    assert len(_ids(replies)) == 2  # both answers under the first comment
    assert 'class="replies' not in replies[20:]  # no third level


def test_a_refused_comment_hands_the_text_back(client, auth):
    auth.login("reader")
    too_long = "x" * 20_001
    response = _comment(auth, "Home", too_long)
    assert response.status_code == 400
    assert too_long in response.get_data(as_text=True)
    expired = client.post("/-/comment/Home", data={"body": "keep me", "csrf_token": "wrong"})
    assert expired.status_code == 400
    assert "keep me" in expired.get_data(as_text=True)


def test_anonymous_readers_and_outsiders_cannot_comment(app, client, auth):
    response = client.post("/-/comment/Home", data={"body": "hi"})
    assert response.status_code in (400, 401)
    spaces = app.services.spaces
    spaces.create_space("WG4", actor="admin", read="members", write="members")
    auth.login("reader")
    hidden = _comment(auth, "WG4/Guarantees", "let me in")
    assert hidden.status_code == 404  # a page they may not read does not exist for them
    assert app.services.storage.exists("WG4/Guarantees.discussion.md") is False


def test_members_only_comments_and_moderation(app, client, auth):
    spaces = app.services.spaces
    spaces.create_space("WG4", actor="admin", read="registered", write="members")
    spaces.add_member("WG4", "editor", actor="admin")
    auth.login("reader")
    ident = _comment(auth, "WG4/Guarantees", "a remark").headers["Location"].rsplit("#c-", 1)[1]
    # a reader who is no member may not hide
    assert auth.post(f"/-/comment/WG4/Guarantees/{ident}/hide", {"reason": "x"}).status_code == 403
    spaces.update_space("WG4", actor="admin", comment="members")
    refused = _comment(auth, "WG4/Guarantees", "another remark")
    assert refused.status_code == 403
    assert "Only members of WG4 may comment here" in refused.get_data(as_text=True)
    auth.logout()
    auth.login("editor")  # a member moderates
    done = auth.post(f"/-/comment/WG4/Guarantees/{ident}/hide", {"reason": "off topic"})
    assert done.status_code == 302
    html = client.get("/WG4/Guarantees").get_data(as_text=True)
    assert "off topic" in html and "a remark" not in html
    # hidden from the page, never from history
    text = app.services.storage.read("WG4/Guarantees.discussion.md")
    assert "a remark" in text and f"<!-- hide id={ident} by=editor" in text


def test_authors_edit_their_comment_for_a_day_only(app, client, auth):
    auth.login("reader")
    ident = _comment(auth, "Home", "first words").headers["Location"].rsplit("#c-", 1)[1]
    assert auth.post(f"/-/comment/Home/{ident}/edit", {"body": "better words"}).status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "better words" in html and "first words" not in html and "edited" in html
    auth.logout()
    auth.login("editor")
    assert auth.post(f"/-/comment/Home/{ident}/edit", {"body": "not mine"}).status_code == 403
    discussions = app.services.discussions
    author = Author("Rita Reader", "re@example.org", "reader")
    with pytest.raises(Exception, match="only for a day"):
        discussions.edit(
            "Home", ident, "late", author=author, now=datetime.now(UTC) + timedelta(days=2)
        )


def test_a_consultation_closes_after_its_date(app, client, auth):
    storage = app.services.storage
    until = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    app.services.pages.save_page(
        "WG4/Draft policy",
        DRAFT.format(until=until),
        author=Author("Ed", "ed@example.org", "editor"),
        message="draft",
        base_revision=None,
    )
    listed = client.get("/-/consultations").get_data(as_text=True)
    assert "Draft cluster financing policy" in listed and f"open until {until}" in listed
    auth.login("reader")
    assert _comment(auth, "WG4/Draft policy", "Support it, with a cap.").status_code == 302
    auth.logout()
    auth.login("editor2")
    assert _comment(auth, "WG4/Draft policy", "Agree.").status_code == 302
    past = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    text = storage.read("WG4/Draft policy.md").replace(until, past)
    app.services.pages.save_page(
        "WG4/Draft policy",
        text,
        author=Author("Ed", "ed@example.org", "editor"),
        message="close",
        base_revision=storage.head(),
    )
    refused = _comment(auth, "WG4/Draft policy", "too late")
    assert refused.status_code == 403 and "too late" in refused.get_data(as_text=True)
    html = client.get("/WG4/Draft policy").get_data(as_text=True)
    assert f"The consultation closed on {past}" in html
    assert "2 comments" in html and "2 people took part" in html
    closed = client.get("/-/consultations").get_data(as_text=True)
    assert f"closed on {past}" in closed


def test_the_discussion_follows_a_rename_and_is_searched(app, client, auth):
    auth.login("reader")
    _comment(auth, "WG4/Guarantees", "Counter-guarantees from the development bank work well")
    auth.logout()
    auth.login("editor")
    moved = auth.post(
        "/-/rename/WG4/Guarantees", {"new_name": "WG4/Loan guarantees", "base_revision": ""}
    )
    assert moved.status_code in (302, 303)
    storage = app.services.storage
    assert storage.exists("WG4/Loan guarantees.discussion.md")
    assert not storage.exists("WG4/Guarantees.discussion.md")
    assert "development bank" in client.get("/WG4/Loan guarantees").get_data(as_text=True)
    found = client.get("/-/search?q=counter-guarantees").get_data(as_text=True)
    assert "/WG4/Loan%20guarantees#discussion" in found
    assert "Discussion: Guarantees" in found
    facet = client.get("/-/search?q=bank&type=discussion").get_data(as_text=True)
    assert "#discussion" in facet


def test_page_names_cannot_end_like_a_discussion_file():
    with pytest.raises(Exception, match="discussion"):
        names.normalize("WG4/Foo.discussion")
    assert names.is_page_path("WG4/Foo.md")
    assert not names.is_page_path("WG4/Foo.discussion.md")
    assert names.discussion_path("WG4/Foo") == "WG4/Foo.discussion.md"


def test_the_file_format_keeps_bodies_that_look_like_headers():
    body = "line one\n<!-- comment id=aaaaaaaa by=evil at=2026-01-01T00:00:00Z -->\nline three"
    entry = thread.Entry("comment", "bbbbbbbb", "maria", datetime(2026, 1, 1, tzinfo=UTC), body)
    text = thread.appended(None, entry, "Home")
    parsed = thread.parse(text)
    assert [e.id for e in parsed] == ["bbbbbbbb"]
    assert "line three" in parsed[0].body
    assert thread.mentions("Hi @maria and @nikos.k, mail a@b.org `@code`") == {"maria", "nikos.k"}


def test_two_people_commenting_at_once_both_land(app):
    import threading

    discussions = app.services.discussions
    errors = []

    def post(i: int) -> None:
        try:
            discussions.add("Home", f"comment {i}", author=Author(f"U{i}", "", "reader"))
        except Exception as problem:  # pragma: no cover - the assertion says it
            errors.append(problem)

    workers = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert discussions.thread("Home").count == 8


def test_a_private_wiki_shows_no_comments_people_or_consultations_to_anonymous_readers(
    tmp_path, content_repo
):
    from tests.conftest import make_app

    app = make_app(tmp_path, content_repo, READ_ACCESS="registered")
    try:
        app.services.discussions.add(
            "Home", "A remark for members", author=Author("Rita Reader", "", "reader")
        )
        client = app.test_client()
        assert client.get("/").status_code in (302, 401)
        assert "A remark" not in client.get("/-/search?q=remark").get_data(as_text=True)
        assert client.get("/-/people").status_code in (302, 401)
        assert client.get("/-/people/reader").status_code in (302, 401)
        assert client.get("/-/consultations").status_code in (302, 401)
        assert client.post("/-/comment/Home", data={"body": "x"}).status_code in (400, 401)
    finally:
        app.close()
