"""Watching and notifications: the bell, /-/notifications, digests and instant mail
through a real local SMTP server, unsubscribing, rights at sending time, the queue for
administrators, and the people directory."""

from __future__ import annotations

import re
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from tests.conftest import make_app
from tests.smtpsink import SMTPSink
from wiki.model import Author

EDITOR = Author("Edit Őrző", "ed@example.org", "editor")
DAY = 86400


@pytest.fixture
def sink():
    server = SMTPSink()
    yield server
    server.close()


@pytest.fixture
def app(tmp_path, content_repo, sink):
    app = make_app(
        tmp_path,
        content_repo,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=sink.port,
        SMTP_SECURITY="none",
        BASE_URL="https://wiki.example.org",
    )
    app.services.community.run_once()  # the first round starts following from here
    yield app
    app.close()


def _uid(app, name):
    return app.services.users.by_name(name).id


def _watch(auth, kind, target):
    return auth.post("/-/watch", {"kind": kind, "target": target})


def _save(app, name, text, author=EDITOR, message="change"):
    pages = app.services.pages
    return pages.save_page(
        name, text, author=author, message=message, base_revision=pages.storage.head()
    )


def _round(app, at):
    return app.services.community.run_once(now=at)


def test_a_wg4_member_gets_one_daily_digest_with_the_comment_and_the_edits(app, client, auth, sink):
    store = app.services.community.store
    auth.login("editor2")
    assert _watch(auth, "folder", "WG4").status_code == 302
    auth.post("/-/notifications/settings", {"mail": "daily"})
    auth.logout()
    now = time.time()
    _save(app, "WG4/Guarantees", "# Guarantees\n\nFirst edit.\n")
    _save(app, "WG4/Guarantees", "# Guarantees\n\nSecond edit.\n")
    _save(app, "WG4/Guarantees", "# Guarantees\n\nThird edit.\n")
    auth.login("reader")
    auth.post("/-/comment/WG4/Home", {"body": "Could WG4 share the Hungarian fund model?"})
    _round(app, now)
    member = _uid(app, "editor2")
    notices = store.notices(member)
    kinds = sorted(n.kind for n in notices)
    assert kinds == ["comment", "edit"]  # three edits of one page: one notice
    assert next(n for n in notices if n.kind == "edit").count == 3
    assert sink.to("ed2@example.org") == []  # a digest waits for the day to end
    tomorrow = now + DAY
    _round(app, tomorrow)
    _round(app, tomorrow + 60)  # no second digest in the same day
    mails = sink.to("ed2@example.org")
    assert len(mails) == 1
    body = mails[0].get_content()
    assert "Your daily digest" in mails[0]["Subject"]
    assert "Hungarian fund model" in body and "Rita Reader commented on WG4/Home" in body
    assert "edited WG4/Guarantees (3 changes)" in body
    assert "https://wiki.example.org/WG4/Home#c-" in body
    assert mails[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the editor who made the edits hears nothing of their own edits
    assert store.notices(_uid(app, "editor"), unread_only=True) == [] or all(
        n.actor != "editor" for n in store.notices(_uid(app, "editor"))
    )


def test_a_mention_reaches_its_user_at_once_and_in_the_bell(app, client, auth, sink):
    store = app.services.community.store
    store.save_profile(_uid(app, "editor2"), mail="instant")
    auth.login("reader")
    auth.post("/-/comment/Home", {"body": "@editor2 do you know the Greek guarantee fund?"})
    html = client.get("/").get_data(as_text=True)
    assert 'href="/-/people/editor2"' in html  # the mention links to the person
    auth.logout()
    _round(app, time.time())
    mails = sink.to("ed2@example.org")
    assert len(mails) == 1 and "Rita Reader mentioned you on Home" in mails[0]["Subject"]
    auth.login("editor2")
    page = client.get("/-/recent").get_data(as_text=True)
    assert re.search(r'class="badge"[^>]*>1<', page)  # the bell
    listing = client.get("/-/notifications").get_data(as_text=True)
    assert "mentioned you on Home" in listing
    notice = store.notices(_uid(app, "editor2"))[0]
    follow = client.get(f"/-/notifications/{notice.id}")
    assert follow.status_code == 302 and "#c-" in follow.headers["Location"]
    assert store.unread_count(_uid(app, "editor2")) == 0


def test_a_mention_in_a_page_edit_reaches_its_user(app, client, auth):
    _save(app, "Home", "# Home\n\nAsk @reader about the study trip.\n")
    app.services.community.catch_up()
    notices = app.services.community.store.notices(_uid(app, "reader"))
    assert [n.kind for n in notices] == ["mention"]


def test_a_watcher_of_wg4_hears_of_a_new_best_practice(app, client, auth, sink):
    store = app.services.community.store
    auth.login("reader")
    _watch(auth, "folder", "WG4")
    auth.post("/-/notifications/settings", {"mail": "instant"})
    auth.logout()
    _save(
        app,
        "WG4/Micro-credit for cluster start-ups",
        "# Micro-credit for cluster start-ups\n\nA revolving fund.\n",
        message="Create WG4/Micro-credit for cluster start-ups",
    )
    _round(app, time.time())
    notices = store.notices(_uid(app, "reader"))
    assert [(n.kind, n.page) for n in notices] == [
        ("new", "WG4/Micro-credit for cluster start-ups")
    ]
    mails = sink.to("re@example.org")
    assert "created WG4/Micro-credit for cluster start-ups" in mails[0]["Subject"]
    # the editor now watches what they created (unless they turn it off)
    assert store.is_watching(_uid(app, "editor"), "page", "wg4/micro-credit for cluster start-ups")


def test_watching_a_record_type(app, client, auth):
    _save(
        app,
        "Types/Institution",
        "---\ntitle: Institution\nid: institution\nfields:\n  - name: country\n"
        "    kind: country\n---\n# Institution\n",
    )
    auth.login("reader")
    assert _watch(auth, "type", "institution").status_code == 302
    assert "institution" in client.get("/-/watchlist").get_data(as_text=True)
    auth.logout()
    _save(
        app, "Partners/New agency", "---\ntype: institution\ncountry: Greece\n---\n# New agency\n"
    )
    app.services.community.catch_up()
    notices = app.services.community.store.notices(_uid(app, "reader"))
    assert [(n.kind, n.page) for n in notices] == [("new", "Partners/New agency")]


def test_mail_honours_the_rights_at_sending_time(app, client, auth, sink):
    store = app.services.community.store
    auth.login("reader")
    _watch(auth, "folder", "WG4")
    auth.logout()
    now = time.time()
    _save(app, "WG4/Guarantees", "# Guarantees\n\nA private detail.\n")
    _round(app, now)
    assert store.notices(_uid(app, "reader"))
    # the space becomes members-only before the digest goes out
    app.services.spaces.create_space("WG4", actor="admin", read="members", write="members")
    _round(app, now + DAY)
    assert sink.to("re@example.org") == []
    assert store.mails(status="dropped")
    auth.login("reader")
    assert "Guarantees" not in client.get("/-/notifications").get_data(as_text=True)
    # and new changes in the space make no notice for them at all
    _save(app, "WG4/Guarantees", "# Guarantees\n\nMore.\n")
    _round(app, now + 2 * DAY)
    assert len(store.notices(_uid(app, "reader"))) == 1


def test_a_failed_mail_is_retried_and_shown_to_admins(app, client, auth, sink):
    store = app.services.community.store
    store.save_profile(_uid(app, "reader"), mail="instant")
    store.watch(_uid(app, "reader"), "page", "Home", "home")
    sink.refuse = True
    _save(app, "Home", "# Home\n\nNew text.\n")
    now = time.time()
    _round(app, now)
    queued = store.mails()
    assert queued[0].status == "queued" and queued[0].attempts == 1 and queued[0].error
    auth.login("admin")
    page = client.get("/-/admin/mail").get_data(as_text=True)
    assert "re@example.org" in page or "reader" in page
    auth.logout()
    sink.refuse = False
    _round(app, now + 30)  # not due yet
    assert sink.to("re@example.org") == []
    _round(app, now + 120)
    assert len(sink.to("re@example.org")) == 1
    assert store.mails()[0].status == "sent"
    auth.login("reader")
    assert client.get("/-/admin/mail").status_code in (403, 404)


def test_one_click_unsubscribe(app, client, sink):
    from wiki.community.mailing import unsubscribe_token

    store = app.services.community.store
    reader = _uid(app, "reader")
    token = unsubscribe_token("test", reader)
    assert "Stop all e-mail" in client.get(f"/-/unsubscribe/{token}").get_data(as_text=True)
    assert store.profile(reader).mail == "daily"  # a GET (a link checker) changes nothing
    response = client.post(f"/-/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert store.profile(reader).mail == "never"
    assert client.post("/-/unsubscribe/forged-token").status_code == 404


def test_the_people_directory_finds_a_greek_expert_in_cluster_financing(app, client, auth):
    auth.login("editor2")
    auth.post(
        "/-/account/profile",
        {
            "listed": "1",
            "institution": "Partners/Corallia Clusters Initiative",
            "country": "Greece",
            "wg": ["WG4", "WG1"],
            "lang": ["el", "en"],
            "expertise": "cluster financing, venture capital",
        },
    )
    auth.post("/-/comment/WG4/Home", {"body": "Happy to share the Greek experience."})
    auth.logout()
    auth.login("reader")
    auth.post("/-/account/profile", {"listed": "1", "country": "Hungary", "wg": ["WG4"]})
    auth.logout()
    found = client.get("/-/people?country=Greece&wg=WG4&q=financing").get_data(as_text=True)
    assert "Bea Both" in found and "Rita Reader" not in found
    unlisted = client.get("/-/people").get_data(as_text=True)
    assert "Edit Őrző" not in unlisted  # not listed: not in the directory
    person = client.get("/-/people/editor2").get_data(as_text=True)
    assert "venture capital" in person and "Happy to share the Greek experience" in person


def test_the_person_page_hides_what_the_reader_may_not_read(app, client, auth):
    spaces = app.services.spaces
    auth.login("editor2")
    auth.post("/-/account/profile", {"listed": "1"})
    auth.post("/-/comment/WG4/Home", {"body": "A members-only remark"})
    auth.logout()
    spaces.create_space("WG4", actor="admin", read="members", write="members")
    page = client.get("/-/people/editor2").get_data(as_text=True)
    assert "members-only remark" not in page and "WG4/Home" not in page


def test_notifications_and_watchlist_need_a_login(client):
    assert client.get("/-/notifications").status_code in (302, 401)
    assert client.get("/-/watchlist").status_code in (302, 401)


def test_daily_digest_period_boundaries():
    from wiki.community.mailing import period_start

    moment = datetime(2026, 12, 3, 15, 0, tzinfo=UTC).timestamp()  # a Thursday
    assert period_start("daily", moment) == datetime(2026, 12, 3, tzinfo=UTC).timestamp()
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert period_start("weekly", moment) == monday.timestamp()
    assert period_start("weekly", (monday + timedelta(days=7)).timestamp()) > moment
