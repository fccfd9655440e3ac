"""Events, the calendar and its iCalendar feed, and news: event records checked on save,
the calendar page (upcoming by month, a month, past, filters), the feed that calendar
applications subscribe to (stable UIDs, SEQUENCE, all-day dates, private events only
through a personal feed token), one event's "Add to calendar", and news with its feed."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from urllib.parse import quote

import icalendar
import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import make_app
from wiki.git.storage import Storage

CONTENT = Path(__file__).resolve().parents[2] / "content"
NEXT_YEAR = dt.date.today().year + 1
LAST_YEAR = dt.date.today().year - 1


def event(title: str, start: str, end: str = "", kind: str = "workshop", **fields) -> str:
    lines = ["---", "type: event", f"start: {start}", f"kind: {kind}"]
    if end:
        lines.append(f"end: {end}")
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "\n".join([*lines, "---", f"# {title}", "", "About it.", ""])


@pytest.fixture
def events_app(tmp_path):
    files = {f"Types/{p.name}": p.read_bytes() for p in (CONTENT / "Types").glob("*.md")}
    files.update(
        {
            "Home.md": b"# Home\n",
            "Events/Financing workshop.md": event(
                "Financing workshop",
                f"{NEXT_YEAR}-05-14",
                f"{NEXT_YEAR}-05-15",
                wg="WG4",
                country="Hungary",
                location='"Budapest; Hall A, 2nd floor"',
            ).encode(),
            "Events/Online S3 day.md": event(
                "Online S3 day",
                f'"{NEXT_YEAR}-06-02 09:30 Europe/Athens"',
                f'"{NEXT_YEAR}-06-02 17:00 Europe/Athens"',
                kind="training session",
                wg="WG5",
                online="https://meet.example.org/s3",
            ).encode(),
            "Events/Kick-off.md": event(
                "Kick-off", f"{LAST_YEAR}-03-01", kind="EU event", country="Italy"
            ).encode(),
            "WG4/Members meeting.md": event(
                "Members meeting", f"{NEXT_YEAR}-05-20", kind="workshop", wg="WG4"
            ).encode(),
            "Study trips/Graz.md": (
                f"---\ntype: study-trip\nhost: ecoplus\ncountry: Austria\n"
                f"date: {NEXT_YEAR}-07-01\nend: {NEXT_YEAR}-07-03\nwg: WG1\n---\n# Graz\n"
            ).encode(),
            "News/Kick-off held.md": (
                f"---\ntype: news\ndate: {LAST_YEAR}-03-02\nkind: press release\n"
                "summary: The partners met in Ancona.\n---\n# Kick-off held\n"
            ).encode(),
            "News/Call open.md": (
                f"---\ntype: news\ndate: {LAST_YEAR}-09-10\nkind: announcement\n"
                "summary: A call for good practices.\n---\n# Call open\n"
            ).encode(),
            "WG4/Internal news.md": (
                f"---\ntype: news\ndate: {LAST_YEAR}-10-01\nkind: announcement\n---\n"
                "# Internal news\n"
            ).encode(),
        }
    )
    storage = Storage.init(tmp_path / "content")
    storage.import_files(files, author=TEST_AUTHOR, message="seed")
    app = make_app(tmp_path, storage)
    app.services.spaces.create_space("WG4", actor="test", read="members", write="members")
    app.services.spaces.add_member("WG4", "editor", actor="test")
    yield app
    storage.close()


def client_as(app, user=None):
    client = app.test_client()
    if user:
        AuthActions(client).login(user, PASSWORD)
    return client


def _api_put(app, name, text, user="editor"):
    auth = {"Authorization": "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()}
    current = app.test_client().get("/-/api/v1/pages/" + quote(name), headers=auth)
    body = {"content": text}
    if current.status_code == 200:
        body["base_revision"] = current.get_json()["revision"]
    return app.test_client().put("/-/api/v1/pages/" + quote(name), json=body, headers=auth)


def _feed(client, url="/-/events.ics") -> dict[str, icalendar.Event]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(answer.data)
    return {str(e["summary"]): e for e in calendar.walk("VEVENT")}


def test_an_end_before_the_start_or_an_unknown_kind_is_refused_with_the_label(events_app):
    bad = _api_put(events_app, "Events/Backwards", event("Backwards", "2030-05-14", "2030-05-12"))
    assert bad.status_code == 400 and "Ends: it is before Starts" in bad.get_json()["error"]
    late = _api_put(
        events_app,
        "Events/Late",
        event("Late", '"2030-05-14 18:00 Europe/Rome"', '"2030-05-14 09:00 Europe/Rome"'),
    )
    assert late.status_code == 400 and "Ends" in late.get_json()["error"]
    odd = _api_put(events_app, "Events/Odd", event("Odd", "2030-05-14", kind="party"))
    assert odd.status_code == 400 and "Kind of event: 'party'" in odd.get_json()["error"]
    zone = _api_put(events_app, "Events/Zone", event("Zone", "2030-05-14", timezone="Mars/Olympus"))
    assert zone.status_code == 400 and "Time zone" in zone.get_json()["error"]
    when = _api_put(events_app, "Events/When", event("When", "14 May"))
    assert when.status_code == 400 and "Starts: '14 May' is not a date" in when.get_json()["error"]
    fine = _api_put(events_app, "Events/One day", event("One day", "2030-05-14", "2030-05-14"))
    assert fine.status_code in (200, 201)


def test_the_calendar_lists_upcoming_by_month_and_past_with_filters(events_app):
    anonymous = client_as(events_app).get("/-/events").get_data(as_text=True)
    upcoming, past = anonymous.split('id="past"')
    assert upcoming.index(f"May {NEXT_YEAR}") < upcoming.index("Financing workshop")
    assert upcoming.index("Financing workshop") < upcoming.index(f"June {NEXT_YEAR}")
    assert upcoming.index(f"June {NEXT_YEAR}") < upcoming.index("Online S3 day")
    assert f"14–15 May {NEXT_YEAR}" in upcoming
    assert "Graz" in upcoming and "Study-trip report" in upcoming  # a dated record
    assert "Kick-off" in past and "Kick-off" not in upcoming
    assert "Members meeting" not in anonymous  # WG4 is members-only
    assert "Members meeting" in client_as(events_app, "editor").get("/-/events").get_data(
        as_text=True
    )
    wg5 = client_as(events_app).get("/-/events?wg=WG5").get_data(as_text=True)
    assert "Online S3 day" in wg5 and "Financing workshop" not in wg5
    sessions = client_as(events_app).get("/-/events?kind=training+session").get_data(as_text=True)
    assert "Online S3 day" in sessions and "Graz" not in sessions
    hungary = client_as(events_app).get("/-/events?country=Hungary").get_data(as_text=True)
    assert "Financing workshop" in hungary and "Graz" not in hungary


def test_the_month_view_puts_each_event_on_its_days(events_app):
    html = client_as(events_app).get(f"/-/events?month={NEXT_YEAR}-05").get_data(as_text=True)
    assert f"May {NEXT_YEAR}" in html
    cells = re.findall(r'<span class="day-number">(\d+)</span>(.*?)</td>', html, re.S)
    days = {int(day) for day, body in cells if "Financing workshop" in body}
    assert days == {14, 15}
    assert f"month={NEXT_YEAR}-06" in html and f"month={NEXT_YEAR}-04" in html


def test_the_feed_follows_rfc_5545_for_all_day_and_timed_events(events_app):
    found = _feed(client_as(events_app))
    workshop = found["Financing workshop"]
    assert workshop["dtstart"].dt == dt.date(NEXT_YEAR, 5, 14)
    assert workshop["dtend"].dt == dt.date(NEXT_YEAR, 5, 16)  # exclusive end
    assert workshop["dtstart"].params.get("VALUE") == "DATE"
    assert str(workshop["location"]) == "Budapest; Hall A, 2nd floor"
    raw = client_as(events_app).get("/-/events.ics").get_data(as_text=True)
    assert "Budapest\\; Hall A\\, 2nd floor" in raw  # text is escaped
    online = found["Online S3 day"]
    start = online["dtstart"].dt  # 09:30 in Athens (UTC+3 in summer), written in UTC
    assert start.astimezone(dt.UTC) == dt.datetime(NEXT_YEAR, 6, 2, 6, 30, tzinfo=dt.UTC)
    assert online["dtend"].dt.astimezone(dt.UTC).hour == 14
    assert "https://meet.example.org/s3" in str(online["description"])
    assert "Members meeting" not in found and "Graz" in found
    assert client_as(events_app).get("/-/events.ics?wg=WG5").data.count(b"BEGIN:VEVENT") == 1


def test_an_edited_or_renamed_event_keeps_its_uid_and_counts_its_changes(events_app):
    client = client_as(events_app)
    before = _feed(client)["Financing workshop"]
    text = event(
        "Financing workshop",
        f"{NEXT_YEAR}-05-14",
        f"{NEXT_YEAR}-05-16",
        wg="WG4",
        country="Hungary",
    )
    assert _api_put(events_app, "Events/Financing workshop", text).status_code == 200
    after = _feed(client)["Financing workshop"]
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    assert after["last-modified"].dt >= before["last-modified"].dt
    assert after["dtend"].dt == dt.date(NEXT_YEAR, 5, 17)
    editor = client_as(events_app, "editor")
    page = editor.get("/-/rename/Events/Financing%20workshop").get_data(as_text=True)
    base = re.search(r'name="base_revision" value="([0-9a-f]*)"', page)
    moved = AuthActions(editor).post(
        "/-/rename/Events/Financing%20workshop",
        {
            "new_name": "Events/WG4 financing workshop",
            **({"base_revision": base[1]} if base else {}),
        },
    )
    assert moved.status_code in (302, 303), moved.get_data(as_text=True)[:500]
    renamed = _feed(client)["Financing workshop"]
    assert renamed["uid"] == before["uid"]
    assert "WG4%20financing%20workshop" in str(renamed["url"])
    uids = [str(e["uid"]) for e in _feed(client).values()]
    assert len(uids) == len(set(uids))


def test_private_events_reach_members_only_through_their_feed_token(events_app):
    users = events_app.services.users
    member_token, _ = users.create_token("editor", "phone calendar", scope="feed")
    outsider_token, _ = users.create_token("reader", "calendar", scope="feed")
    anonymous = _feed(client_as(events_app))
    assert "Members meeting" not in anonymous
    # a browser's session does not leak into the feed: it is anonymous without a token
    assert "Members meeting" not in _feed(client_as(events_app, "editor"))
    assert "Members meeting" in _feed(client_as(events_app), f"/-/events.ics?token={member_token}")
    assert "Members meeting" not in _feed(
        client_as(events_app), f"/-/events.ics?token={outsider_token}"
    )
    # a feed token reads feeds and nothing else
    api = client_as(events_app).get(
        "/-/api/v1/pages", headers={"Authorization": f"Bearer {member_token}"}
    )
    assert api.status_code == 401
    assert client_as(events_app).get(
        f"/WG4/Members%20meeting?token={member_token}"
    ).status_code in (
        302,
        401,
        404,
    )
    # a wrong or revoked token is refused, not taken as anonymous
    assert client_as(events_app).get("/-/events.ics?token=wiki_nonsense").status_code == 401
    token_id = next(t.id for t in users.tokens("editor") if t.label == "phone calendar")
    users.revoke_token("editor", token_id)
    assert client_as(events_app).get(f"/-/events.ics?token={member_token}").status_code == 401


def test_an_event_page_shows_its_dates_and_offers_it_for_a_calendar(events_app):
    html = client_as(events_app).get("/Events/Financing%20workshop").get_data(as_text=True)
    assert 'class="datebox"' in html and f"14–15 May {NEXT_YEAR}" in html
    assert 'href="/-/events/ics/Events/Financing%20workshop"' in html
    one = client_as(events_app).get("/-/events/ics/Events/Financing%20workshop")
    assert one.status_code == 200 and "attachment" in one.headers["Content-Disposition"]
    events = icalendar.Calendar.from_ical(one.data).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Financing workshop"]
    assert client_as(events_app).get("/-/events/ics/WG4/Members%20meeting").status_code in (
        302,
        401,
        404,
    )
    assert (
        client_as(events_app, "editor").get("/-/events/ics/WG4/Members%20meeting").status_code
        == 200
    )
    assert client_as(events_app).get("/-/events/ics/Home").status_code == 404


def test_news_is_listed_newest_first_and_in_its_feed(events_app):
    html = client_as(events_app).get("/-/news").get_data(as_text=True)
    assert html.index("Call open") < html.index("Kick-off held")
    assert "The partners met in Ancona." in html and "Internal news" not in html
    feed = client_as(events_app).get("/-/news.atom")
    assert feed.mimetype == "application/atom+xml"
    import xml.etree.ElementTree as ET

    root = ET.fromstring(feed.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles == ["Call open", "Kick-off held"]
    token, _ = events_app.services.users.create_token("editor", "reader app", scope="feed")
    private = client_as(events_app).get(f"/-/news.atom?token={token}").get_data(as_text=True)
    assert "Internal news" in private


def test_the_recent_changes_feed_filters_by_folder_and_type(events_app):
    _api_put(events_app, "Events/Financing workshop", event("Financing workshop", "2031-01-02"))
    _api_put(events_app, "Home", "# Home\n\nEdited.\n")
    client = client_as(events_app)
    folder = client.get("/-/recent.atom?folder=Events").get_data(as_text=True)
    assert "Events/Financing workshop" in folder and "<title>Home:" not in folder
    typed = client.get("/-/recent.atom?type=event").get_data(as_text=True)
    assert "Events/Financing workshop" in typed and "<title>Home:" not in typed
    everything = client.get("/-/recent.atom").get_data(as_text=True)
    assert "<title>Home:" in everything


def test_the_account_page_makes_a_personal_calendar_address(events_app):
    editor = client_as(events_app, "editor")
    made = AuthActions(editor).post("/-/account/tokens", {"label": "phone", "scope": "feed"})
    assert made.status_code == 201
    html = made.get_data(as_text=True)
    address = re.search(r"(http://localhost/-/events\.ics\?token=wiki_[\w-]+)", html)[1]
    assert "/-/news.atom?token=" in html and "/-/recent.atom?token=" in html
    found = _feed(events_app.test_client(), address.removeprefix("http://localhost"))
    assert "Members meeting" in found
    listed = editor.get("/-/account").get_data(as_text=True)
    assert "phone" in listed and "feed" in listed  # revocable like every token


def test_dates_the_calendar_cannot_hold_are_refused_and_never_break_it(events_app):
    for start in (
        "9999-12-31",
        '"9999-12-31 23:30-05:00"',
        '"2030-05-14 09:30+99:99"',
        '"2030-05-14 09:30+24:00"',
        "2030-02-30",
        "2030-05-14 09:30:00+99:00",
    ):
        refused = _api_put(events_app, "Events/Edge", event("Edge", start))
        assert refused.status_code == 400, (start, refused.get_data(as_text=True)[:200])
    # a value that arrived without the check (a file written straight into git)
    events_app.services.storage.write(
        "Events/Far future.md",
        event("Far future", "9999-12-31"),
        author=TEST_AUTHOR,
        message="by hand",
    )
    events_app.services.pages._committed()
    client = client_as(events_app)
    assert client.get("/-/events.ics").status_code == 200
    assert client.get("/-/events").status_code == 200
    assert client.get("/Events/Far%20future").status_code == 200
    for month in ("9999-12", "0000-01", "0001-01"):
        assert client.get(f"/-/events?month={month}").status_code == 200


def test_a_uid_in_front_matter_cannot_take_over_another_event(events_app):
    client = client_as(events_app)
    real = _feed(client)["Financing workshop"]
    fake = event("Financing workshop (moved)", f"{NEXT_YEAR}-09-20", uid=str(real["uid"]))
    assert _api_put(events_app, "Events/Fake", fake).status_code in (200, 201)
    uids = [str(e["uid"]) for e in _feed(client).values()]
    assert len(uids) == len(set(uids))


def test_control_characters_never_break_a_feed(events_app):
    import xml.etree.ElementTree as ET

    text = (
        f"---\ntype: news\ndate: {LAST_YEAR}-11-01\nkind: announcement\n"
        'summary: "bad\\vchar\\0nul"\n---\n# Odd news\n'
    )
    assert _api_put(events_app, "News/Odd news", text).status_code == 201
    ET.fromstring(client_as(events_app).get("/-/news.atom").data)  # well-formed
    located = event("Odd place", f"{NEXT_YEAR}-08-01", location='"a\\0b\\x1bc"')
    assert _api_put(events_app, "Events/Odd place", located).status_code == 201
    raw = client_as(events_app).get("/-/events.ics").data
    assert b"\x00" not in raw and b"\x1b" not in raw


def test_in_a_private_wiki_feeds_need_a_token(tmp_path):
    storage = Storage.init(tmp_path / "content")
    files = {f"Types/{p.name}": p.read_bytes() for p in (CONTENT / "Types").glob("*.md")}
    files["Events/Board.md"] = event("Board meeting", f"{NEXT_YEAR}-04-01").encode()
    storage.import_files(files, author=TEST_AUTHOR, message="seed")
    app = make_app(tmp_path, storage, READ_ACCESS="registered")
    for url in ("/-/events.ics", "/-/news.atom", "/-/recent.atom", "/-/events", "/-/news"):
        answer = app.test_client().get(url)
        assert answer.status_code in (302, 401) and b"Board meeting" not in answer.data, url
    token, _ = app.services.users.create_token("reader", "calendar", scope="feed")
    assert "Board meeting" in _feed(app.test_client(), f"/-/events.ics?token={token}")
    storage.close()
