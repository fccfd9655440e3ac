"""Calendars of dated records: events, study trips, deliverables (calendar.py), and
their iCalendar feeds (ics.py)."""
