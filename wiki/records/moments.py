"""Dates and times of records (an event's start and end): a day, or a time of a day in a
time zone. Pure Python: no Flask, no git.

A value is written as `2026-05-14` (a whole day), `2026-05-14 09:30` (a time in the
record's `timezone`, else the wiki's default zone), or with its zone after it:
`2026-05-14 09:30 Europe/Budapest`, `2026-05-14T09:30+02:00`, `...Z`. YAML's own
dates and timestamps are taken as they are.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import zoneinfo
from dataclasses import dataclass

from ..errors import N_

_MOMENT = re.compile(
    r"^(?P<day>\d{4}-\d{2}-\d{2})"
    r"(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)"
    r"(?:\s*(?P<offset>Z|[+-]\d{2}:?\d{2})|\s+(?P<zone>[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+)*))?)?$"
)
DEFAULT_ZONE = "Europe/Brussels"
YEARS = (1900, 2200)  # what a calendar of this partnership can hold (and a feed can write)
_NOT_ZONES = {"localtime", "Factory"}  # names that depend on the server, or mean nothing


@functools.lru_cache(maxsize=1)
def zone_names() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def zone(name: str | None) -> _dt.tzinfo | None:
    """The time zone of an IANA name ("Europe/Budapest", "UTC"), or None for another text
    (only names of the zone database: never a path)."""
    name = (name or "").strip()
    if name in ("UTC", "Z"):
        return _dt.UTC
    return zoneinfo.ZoneInfo(name) if name in zone_names() else None


@dataclass(frozen=True)
class Moment:
    """A whole day (`all_day`) or an instant (an aware datetime)."""

    value: _dt.date | _dt.datetime
    all_day: bool

    @property
    def day(self) -> _dt.date:
        """The day it falls on (an instant: in its own zone)."""
        return self.value if self.all_day else self.value.date()  # type: ignore[union-attr]

    def instant(self) -> _dt.datetime:
        """A point in time to order by (a whole day: its start in UTC)."""
        if self.all_day:
            return _dt.datetime.combine(self.value, _dt.time(), _dt.UTC)  # type: ignore[arg-type]
        return self.value  # type: ignore[return-value]


class MomentError(ValueError):
    """What is wrong, as a template (marked N_ for the catalogs) and its values."""

    def __init__(self, template: str, **params) -> None:
        super().__init__(template % params if params else template)
        self.template = template
        self.params = tuple(params.items())


def parse(value, default_zone: str = DEFAULT_ZONE) -> Moment:
    """A date or date-time value of a record.

    :raises MomentError: with what is wrong, in words.
    """
    if isinstance(value, _dt.date):
        _check_year(value.year)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            tz = zone(default_zone) or _dt.UTC
            value = value.replace(tzinfo=tz)
        return Moment(value, False)
    if isinstance(value, _dt.date):
        return Moment(value, True)
    text = str(value).strip()
    found = _MOMENT.match(text)
    if not found:
        raise MomentError(
            N_(
                "'%(text)s' is not a date or a time (write 2026-05-14, or 2026-05-14 09:30, "
                "or 2026-05-14 09:30 Europe/Budapest)."
            ),
            text=text,
        )
    try:
        day = _dt.date.fromisoformat(found["day"])
    except ValueError:
        raise MomentError(
            N_("'%(day)s' is not a date of the calendar."), day=found["day"]
        ) from None
    _check_year(day.year)
    if not found["time"]:
        return Moment(day, True)
    clock = found["time"].split(".")[0]
    hours, minutes, *seconds = (int(part) for part in clock.split(":"))
    if hours > 23 or minutes > 59 or (seconds and seconds[0] > 59):
        raise MomentError(N_("'%(time)s' is not a time of day."), time=found["time"])
    if found["offset"]:
        raw = found["offset"]
        if raw == "Z":
            tz: _dt.tzinfo = _dt.UTC
        else:
            sign = -1 if raw[0] == "-" else 1
            digits = raw[1:].replace(":", "")
            offset_hours, offset_minutes = int(digits[:2]), int(digits[2:])
            if offset_hours > 14 or offset_minutes > 59:
                raise MomentError(
                    N_("'%(offset)s' is not an offset from UTC (+02:00, say)."), offset=raw
                )
            tz = _dt.timezone(sign * _dt.timedelta(hours=offset_hours, minutes=offset_minutes))
    elif found["zone"]:
        named = zone(found["zone"])
        if named is None:
            raise MomentError(
                N_("'%(zone)s' is not a time zone (for example Europe/Budapest)."),
                zone=found["zone"],
            )
        tz = named
    else:
        tz = zone(default_zone) or _dt.UTC
    when = _dt.datetime(day.year, day.month, day.day, hours, minutes, *seconds, tzinfo=tz)
    return Moment(when, False)


def _check_year(year: int) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise MomentError(
            N_("%(year)s is not a year the calendar holds (%(first)s to %(last)s)."),
            year=year,
            first=YEARS[0],
            last=YEARS[1],
        )


def ends_before(start: Moment, end: Moment) -> bool:
    """Whether `end` is earlier than `start` (a day against a time: by their days)."""
    if start.all_day or end.all_day:
        return end.day < start.day
    return end.instant() < start.instant()
