"""Blueprint "events": the calendar (`/-/events`: upcoming by month, a month, past), its
iCalendar feed (`/-/events.ics`), one event's "Add to calendar" file, and news
(`/-/news`, `/-/news.atom`).

Feeds are read by calendar and feed applications without a session: they hold what a
reader without an account may see, or, with `?token=` (a personal feed token made on the
account page), what that account may read (wiki/access/auth.py: `_authenticate_feed`).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import xml.etree.ElementTree as ET

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for

from ..access.auth import READ
from ..access.auth import read_filter
from ..access.auth import require
from ..app import services
from ..errors import N_
from ..errors import PageNotFound
from ..events import ics
from ..events.calendar import FILTERS
from ..events.calendar import Entry
from ..events.calendar import by_month
from ..events.calendar import entries
from ..events.calendar import entry_of
from ..events.calendar import facets
from ..events.calendar import month_grid
from ..pages import names
from ..records import moments
from . import get_wiki
from . import page_url

bp = Blueprint("events", __name__)
ATOM = "http://www.w3.org/2005/Atom"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
PAST_SHOWN = 60


def _filters() -> dict[str, str]:
    return {key: request.args.get(key, "").strip()[:100] for key in FILTERS}


def _entries(filters: dict[str, str]) -> list[Entry]:
    try:
        return entries(services().records, visible=read_filter(), filters=filters)
    except LookupError:
        raise _Building() from None


class _Building(Exception):
    pass


@bp.errorhandler(_Building)
def _building(_error):
    response = Response(
        "The calendar is being built (the table of records); try again in a moment.",
        status=503,
        mimetype="text/plain",
    )
    response.headers["Retry-After"] = "5"
    return response


@bp.get("/-/events")
def calendar_page():
    require(READ)
    filters = _filters()
    found = _entries(filters)
    today = _dt.date.today()
    chosen_month = _MONTH.match(request.args.get("month", ""))
    view = "month" if request.args.get("view") == "month" or chosen_month else "list"
    month = today.replace(day=1)
    if (
        chosen_month
        and 1 <= int(chosen_month[2]) <= 12
        and moments.YEARS[0] <= int(chosen_month[1]) <= moments.YEARS[1]
    ):
        month = _dt.date(int(chosen_month[1]), int(chosen_month[2]), 1)
    upcoming = [e for e in found if e.last_day >= today]
    past = [e for e in found if e.last_day < today][::-1]
    active = {k: v for k, v in filters.items() if v}
    return render_template(
        "events/calendar.html",
        view=view,
        months=by_month(upcoming),
        past=past[:PAST_SHOWN],
        past_total=len(past),
        month=month,
        grid=month_grid(month, found) if view == "month" else [],
        previous_month=(month - _dt.timedelta(days=1)).replace(day=1),
        next_month=(month + _dt.timedelta(days=32)).replace(day=1),
        today=today,
        facets=facets(_entries({})) if active else facets(found),
        filters=filters,
        active=active,
        feed_url=url_for("events.feed", _external=True, **active),
    )


@bp.get("/-/events.ics")
def feed():
    """The iCalendar feed of the events the reader may see, with the page's filters."""
    require(READ)
    found = _entries(_filters())
    title = current_app.config["SITE_NAME"] + ": events"
    return _ics(found, title, "events.ics")


@bp.get("/-/events/ics/<path:name>")
def one(name: str):
    """One event's "Add to calendar" file."""
    try:
        name = names.normalize(name)
    except Exception:
        raise PageNotFound(N_("There is no such event.")) from None
    require(READ, name)
    entry = event_of(name)
    if entry is None:
        raise PageNotFound(N_("'%(name)s' is not an event with a date."), name=name)
    return _ics([entry], entry.title, names.leaf(name) + ".ics", download=True)


def event_of(name: str, page=None) -> Entry | None:
    """The calendar entry of a page (for its date box), or None."""
    wiki = get_wiki()
    if page is None:
        try:
            page = wiki.page(name)
        except PageNotFound:
            return None
    records = services().records
    return entry_of(name, page.title, records.type_of(page.meta), page.meta)


def _ics(found: list[Entry], title: str, filename: str, download: bool = False) -> Response:
    root = request.url_root.rstrip("/")
    body = ics.calendar(
        found,
        title=title,
        url_of=lambda name: root + page_url(name),
        identity_of=_identity,
        description_of=lambda e: " · ".join(
            part for part in (e.kind, e.when(), str(e.meta.get("summary") or "")) if part
        ),
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


_IDENTITIES: dict[tuple[str, str], ics.Identity] = {}


def _identity(entry: Entry) -> ics.Identity:
    return page_identity(entry.name)


def page_identity(name: str) -> ics.Identity:
    """A page's lasting identity for feeds: UID from its first commit and the path it was
    created at (the history follows renames), SEQUENCE from its changes since. Never
    from front matter: a writer elsewhere could otherwise take over another's event in
    subscribers' calendars."""
    storage = get_wiki().storage
    path = names.to_path(name)
    last = storage.last_change(path)
    key = (name, last.id if last else "")
    found = _IDENTITIES.get(key)
    if found is not None:
        return found
    revisions = storage.history(path, limit=100_000)
    first = revisions[-1] if revisions else None
    if first is not None:
        where = hashlib.sha1((first.path or path).encode()).hexdigest()[:10]
        uid = f"{first.id[:16]}-{where}@see-cluster-wiki"
    else:
        uid = hashlib.sha1(name.encode()).hexdigest() + "@see-cluster-wiki"
    found = ics.Identity(
        uid=uid,
        sequence=max(0, len(revisions) - 1),
        created=first.date if first else None,
        modified=last.date if last else None,
    )
    if len(_IDENTITIES) > 4096:
        _IDENTITIES.clear()
    _IDENTITIES[key] = found
    return found


# -- news ----------------------------------------------------------------------------


def _news(limit: int | None = None) -> list:
    records = services().records
    news_type = records.types().get("news")
    if news_type is None:
        return []
    try:
        rows = records.rows(news_type, visible=read_filter())
    except LookupError:
        raise _Building() from None
    wg = request.args.get("wg", "").strip().upper()
    if wg:
        rows = [r for r in rows if wg in [str(v).upper() for v in _list(r.meta.get("wg"))]]
    rows.sort(key=lambda r: (str(r.meta.get("date") or ""), r.name), reverse=True)
    return rows[:limit] if limit else rows


def _list(value) -> list:
    return value if isinstance(value, list) else [value]


@bp.get("/-/news")
def news():
    require(READ)
    return render_template("events/news.html", items=_news(), wg=request.args.get("wg", ""))


@bp.get("/-/news.atom")
def news_feed():
    require(READ)
    items = _news(current_app.config["FEED_SIZE"])
    root = request.url_root.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = current_app.config["SITE_NAME"] + ": news"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = root + url_for("events.news_feed")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=root + url_for("events.news"))
    storage = get_wiki().storage
    stamps = []
    for row in items:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = ics.clean(row.title)
        identity = page_identity(row.name)
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:wiki-news:{identity.uid}"
        last = storage.last_change(names.to_path(row.name))
        updated = identity.modified or _dt.datetime.now(_dt.UTC)
        stamps.append(updated)
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = updated.isoformat()
        published = row.meta.get("date")
        if published:
            ET.SubElement(entry, f"{{{ATOM}}}published").text = ics.clean(f"{published}T00:00:00Z")
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=root + page_url(row.name))
        if last is not None:
            author = ET.SubElement(entry, f"{{{ATOM}}}author")
            ET.SubElement(author, f"{{{ATOM}}}name").text = ics.clean(last.author.name)
        kind = str(row.meta.get("kind") or "")
        if kind:
            ET.SubElement(entry, f"{{{ATOM}}}category", term=ics.clean(kind))
        summary = ics.clean(str(row.meta.get("summary") or ""))
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = summary
    updated = max(stamps) if stamps else _dt.datetime.now(_dt.UTC)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "private, no-cache"
    return response
