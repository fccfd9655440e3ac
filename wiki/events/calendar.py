"""The calendar of a wiki: every record whose type names its date fields (`calendar:
{start: start, end: end}` on the type page: events, study trips, deliverables), as
entries to list by month, draw as a month and publish as iCalendar.

Plain Python, no Flask: it reads records through `Records` (the page table).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as _dt
from dataclasses import dataclass
from typing import Any

from ..records import moments
from ..records.service import Records
from ..records.types import RecordType
from ..records.validate import WORKING_GROUPS

FILTERS = ("kind", "wg", "country", "course")


@dataclass(frozen=True)
class Entry:
    name: str  # the record's page
    title: str
    record_type: RecordType
    start: moments.Moment
    end: moments.Moment | None
    meta: dict[str, Any]

    @property
    def kind(self) -> str:
        """What the calendar calls it: an event's kind, else its type ("Deliverable")."""
        value = self.meta.get("kind") if self.record_type.id == "event" else None
        return str(value) if value else self.record_type.title

    @property
    def all_day(self) -> bool:
        return self.start.all_day

    @property
    def first_day(self) -> _dt.date:
        return self.start.day

    @property
    def last_day(self) -> _dt.date:
        """The last day it takes (inclusive)."""
        if self.end is None:
            return self.start.day
        return max(self.end.day, self.start.day)

    def values(self, key: str) -> list[str]:
        raw = self.meta.get(key)
        items = raw if isinstance(raw, list) else [raw]
        return [str(item).strip() for item in items if item not in (None, "")]

    def when(self, locale: str = "en") -> str:
        """The dates in words: "14–15 May 2026", "14 May 2026, 09:30–17:00 CEST" (in
        another language as Babel writes them there: "2026. máj. 14–15.")."""
        if locale.split("_")[0] != "en":
            return self._when_in(locale)
        first, last = self.first_day, self.last_day
        if first == last:
            days = f"{first.day} {first:%B %Y}"
        elif (first.year, first.month) == (last.year, last.month):
            days = f"{first.day}–{last.day} {first:%B %Y}"
        elif first.year == last.year:
            days = f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
        else:
            days = f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"
        if self.all_day:
            return days
        start = self.start.value
        hours = f"{start:%H:%M}"
        if self.end is not None and not self.end.all_day and self.end.day == first:
            hours += f"–{self.end.value:%H:%M}"
        zone = start.tzname() or ""  # type: ignore[union-attr]
        return f"{days}, {hours} {zone}".strip()

    def _when_in(self, locale: str) -> str:
        from babel.dates import format_interval
        from babel.dates import format_skeleton

        first, last = self.first_day, self.last_day
        if self.all_day:
            if first == last:
                return format_skeleton("yMMMMd", first, locale=locale)
            return format_interval(first, last, "yMMMd", locale=locale)
        start = self.start.value
        zone = start.tzinfo
        end = self.end.value if self.end is not None and not self.end.all_day else None
        day = format_skeleton("yMMMMd", start, tzinfo=zone, locale=locale)
        if end is not None and end.date() == start.date():
            hours = format_interval(start, end, "Hm", tzinfo=zone, locale=locale)
            text = f"{day}, {hours}"
        elif end is not None:
            text = format_interval(start, end, "yMMMdHm", tzinfo=zone, locale=locale)
        else:
            text = f"{day}, {format_skeleton('Hm', start, tzinfo=zone, locale=locale)}"
        return f"{text} {start.tzname() or ''}".strip()  # type: ignore[union-attr]

    def matches(self, filters: dict[str, str]) -> bool:
        for key, wanted in filters.items():
            if not wanted:
                continue
            folded = wanted.casefold()
            if key == "kind":
                if folded not in (self.kind.casefold(), self.record_type.id):
                    return False
            elif key == "course":
                targets = [v.strip("[]").casefold() for v in self.values("course")]
                if folded.strip("/") not in targets:
                    return False
            elif folded not in (v.casefold() for v in self.values(key)):
                return False
        return True


def entries(
    records: Records, *, visible=None, filters: dict[str, str] | None = None
) -> list[Entry]:
    """Every dated record (that `visible(name)` allows and matches `filters`), by start.

    :raises LookupError: while the page table is being built.
    """
    found: list[Entry] = []
    for record_type in records.types().values():
        if record_type.calendar is None:
            continue
        start_field, end_field = record_type.calendar
        for row in records.rows(record_type, visible=visible):
            entry = _entry(row.name, row.title, record_type, row.meta, start_field, end_field)
            if entry is not None and entry.matches(filters or {}):
                found.append(entry)
    found.sort(key=lambda e: (e.start.instant(), e.name.casefold()))
    return found


def entry_of(
    name: str, title: str, record_type: RecordType | None, meta: dict[str, Any]
) -> Entry | None:
    """The calendar entry of one record (None when its type has no dates, or its start
    cannot be read)."""
    if record_type is None or record_type.calendar is None:
        return None
    return _entry(name, title, record_type, meta, *record_type.calendar)


def _entry(name, title, record_type, meta, start_field, end_field) -> Entry | None:
    zone = str(meta.get("timezone") or moments.DEFAULT_ZONE)
    try:
        start = moments.parse(meta.get(start_field), zone)
    except (moments.MomentError, ValueError, OverflowError):
        return None  # no start yet (an incomplete record) or one that cannot be read
    end = None
    if end_field and meta.get(end_field) not in (None, ""):
        try:
            end = moments.parse(meta[end_field], zone)
        except (moments.MomentError, ValueError, OverflowError):
            end = None
        if end is not None and moments.ends_before(start, end):
            end = None
    return Entry(name, title, record_type, start, end, meta)


def by_month(found: list[Entry]) -> list[tuple[_dt.date, list[Entry]]]:
    """Entries grouped by the month they start in, in order."""
    months: dict[_dt.date, list[Entry]] = {}
    for entry in found:
        months.setdefault(entry.first_day.replace(day=1), []).append(entry)
    return sorted(months.items())


def month_grid(month: _dt.date, found: list[Entry]) -> list[list[tuple[_dt.date, list[Entry]]]]:
    """The weeks (Monday first) of a month, each day with the entries taking it."""
    weeks = _calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    grid = []
    for week in weeks:
        grid.append([(day, [e for e in found if e.first_day <= day <= e.last_day]) for day in week])
    return grid


def facets(found: list[Entry]) -> dict[str, list[tuple[str, str]]]:
    """The values the filters offer: (value, label) for kinds, working groups, countries."""
    kinds = sorted({e.kind for e in found}, key=str.casefold)
    groups = sorted({g.upper() for e in found for g in e.values("wg")})
    countries = sorted({c for e in found for c in e.values("country")})
    return {
        "kind": [(k, k) for k in kinds],
        "wg": [(g, WORKING_GROUPS.get(g, g)) for g in groups],
        "country": [(c, c) for c in countries],
    }
