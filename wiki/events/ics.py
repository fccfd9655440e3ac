"""Calendar entries as iCalendar (RFC 5545) with the `icalendar` library: the feed that
calendar applications subscribe to, and one event's "Add to calendar" file.

An entry's UID comes from its page's first commit (see `Identity`), so it stays the same
when the page is edited or renamed and clients update the event instead of adding it
again; SEQUENCE counts its changes and LAST-MODIFIED is its last one. All-day entries use
VALUE=DATE with the exclusive end date (a workshop on 14-15 May ends on 16 May); times
are written in UTC. No Flask.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

import icalendar

from .calendar import Entry

PRODID = "-//SEE Cluster Policy Learning Platform//wiki//EN"


@dataclass(frozen=True)
class Identity:
    uid: str
    sequence: int  # how many times the page changed after it was created
    created: _dt.datetime | None
    modified: _dt.datetime | None


def calendar(
    entries: list[Entry], *, title: str, url_of, identity_of, description_of=None
) -> bytes:
    """An iCalendar document of these entries; `url_of(name)` is a page's address and
    `identity_of(entry)` its `Identity`."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", title)
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    for entry in entries:
        try:
            event = _event(entry, url_of(entry.name), identity_of(entry), now, description_of)
        except (OverflowError, ValueError):
            continue  # a date at the edge of what can be written: left out, never a 500
        cal.add_component(event)
    return cal.to_ical()


def _event(entry: Entry, url: str, identity: Identity, now, description_of) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", identity.uid)
    event.add("dtstamp", identity.modified or now)
    event.add("summary", clean(entry.title))
    if entry.all_day:
        event.add("dtstart", entry.first_day)  # VALUE=DATE
        event.add("dtend", entry.last_day + _dt.timedelta(days=1))  # exclusive
    else:
        event.add("dtstart", _utc(entry.start.value))
        if entry.end is not None:
            end = entry.end.value
            if entry.end.all_day:  # a time to a last day: until that day ends
                end = _dt.datetime.combine(end + _dt.timedelta(days=1), _dt.time(), _dt.UTC)
            event.add("dtend", _utc(end))
    event.add("sequence", identity.sequence)
    if identity.created is not None:
        event.add("created", _utc(identity.created))
    if identity.modified is not None:
        event.add("last-modified", _utc(identity.modified))
    event.add("url", url)
    location = clean(", ".join(entry.values("location")))
    online = clean(", ".join(entry.values("online")))
    if location or online:
        event.add("location", location or online)
    event.add("categories", [clean(entry.kind)])
    lines = [clean(description_of(entry))] if description_of is not None else []
    if online:
        lines.append(f"Online: {online}")
    lines.append(url)
    event.add("description", "\n\n".join(line for line in lines if line))
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT" if entry.all_day else "OPAQUE")
    return event


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """Text without the control characters that iCalendar and XML cannot carry."""
    return _CONTROL.sub("", text)


def _utc(value) -> _dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    return value.astimezone(_dt.UTC).replace(microsecond=0)
