"""An event in Chromium: scheduled as a session from the course home through the record
form (a time in a time zone), then shown with its date box, in the calendar and in the
course's sessions."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_a_session_is_scheduled_from_the_course_home(page):
    login(page)
    page.goto("/Training/S3%20course/Home")
    page.get_by_role("link", name="Schedule a session").click()
    page.fill("#title", "S3 preparation day online")
    page.click("#new-record-form button[type=submit]")
    page.wait_for_url("**/-/edit/**")
    page.locator("#record-form").wait_for(state="visible")
    text = page.locator("textarea[name=content]")
    # the course and the kind came with the address
    expect(text).to_have_value(re.compile(r'course: "Training/S3 course/Home"'))
    expect(text).to_have_value(re.compile(r'kind: "training session"'))
    assert page.get_attribute("#field-start", "placeholder").startswith("2026-05-14")
    page.fill("#field-start", "2031-03-03 09:30")
    page.fill("#field-end", "2031-03-03 16:00")
    page.fill("#field-timezone", "Europe/Ljubljana")
    page.select_option("#field-format", "online")
    expect(text).to_have_value(re.compile(r"timezone: Europe/Ljubljana"))
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda url: "/-/edit/" not in url)
    expect(page.locator(".datebox-when")).to_have_text(re.compile(r"3 March 2031, 09:30–16:00 CET"))
    expect(page.get_by_role("link", name="Add to calendar")).to_be_visible()
    page.goto("/Training/S3%20course/Home")
    expect(page.locator(".course-sessions")).to_contain_text("S3 preparation day online")
    page.goto("/-/events?month=2031-03")
    expect(page.locator(".month-grid a.month-event", has_text="S3 preparation day")).to_have_count(
        1
    )
