import datetime as dt

import pytest

from wiki.records import moments


def test_days_times_zones_and_offsets_are_read():
    assert moments.parse("2026-05-14") == moments.Moment(dt.date(2026, 5, 14), True)
    assert moments.parse(dt.date(2026, 5, 14)).all_day
    rome = moments.parse("2026-05-14 09:30", "Europe/Rome").value
    assert rome.utcoffset() == dt.timedelta(hours=2)
    athens = moments.parse("2026-01-14T09:30 Europe/Athens").value
    assert athens.astimezone(dt.UTC).hour == 7
    assert moments.parse("2026-05-14T09:30:00+02:00").value.utcoffset() == dt.timedelta(hours=2)
    assert moments.parse("2026-05-14 09:30Z").value.tzinfo == dt.UTC
    # a YAML timestamp without a zone is in the default zone
    naive = moments.parse(dt.datetime(2026, 5, 14, 9, 30), "Europe/Budapest").value
    assert naive.utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    "text",
    [
        "14 May 2026",
        "2026-02-30",
        "2026-05-14 25:00",
        "2026-05-14 09:30 Mars/Olympus",
        "2026-05-14 09:30 ../../etc/passwd",
    ],
)
def test_what_is_not_a_date_or_time_is_refused_in_words(text):
    with pytest.raises(moments.MomentError):
        moments.parse(text)


def test_an_end_is_compared_by_days_when_either_is_a_whole_day():
    day = moments.parse("2026-05-14")
    assert not moments.ends_before(day, moments.parse("2026-05-14 08:00"))
    assert moments.ends_before(day, moments.parse("2026-05-13 23:00"))
    assert moments.ends_before(moments.parse("2026-05-14 10:00"), moments.parse("2026-05-14 09:00"))
