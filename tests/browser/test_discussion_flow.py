"""Discussions in Chromium: a reader comments on a page and answers, the page's watcher
sees the bell count and follows the notification to the comment."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_commenting_and_the_bell(browser, server):
    maria = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = maria.new_page()
    page.set_default_timeout(10_000)
    login(page)
    page.goto("/WG4/Home#discussion")
    page.click("#discussion button:has-text('Watch')")
    expect(page.locator("#discussion button[aria-pressed=true]")).to_be_visible()

    other = browser.new_context(base_url=server, viewport={"width": 390, "height": 844})
    reader = other.new_page()
    reader.set_default_timeout(10_000)
    login(reader, "gus", display_name="Gus Kovács")
    reader.goto("/WG4/Home")
    reader.fill("#comment-body", "Which **guarantee** schemes did @maria see in Austria?")
    reader.click("#comment-form button[type=submit]")
    reader.wait_for_url(re.compile(r"#c-[a-z0-9]+$"))
    comment = reader.locator("article.comment").last
    expect(comment.locator("strong")).to_have_text("guarantee")
    expect(comment.locator("a", has_text="@maria")).to_have_attribute("href", "/-/people/maria")

    page.goto("/-/recent")
    badge = page.locator("a.bell .badge")
    expect(badge).to_have_text("1")  # mentioned and watching: one notice
    page.click("a.bell")
    page.click("ul.notices a >> nth=0")
    page.wait_for_url(re.compile(r"/WG4/Home#c-[a-z0-9]+$"))
    expect(page.locator("a.bell .badge")).to_have_count(0)
    # Maria answers in the thread
    page.locator("article.comment details.reply summary").last.click()
    page.locator("article.comment details.reply textarea").last.fill("Ask the AWS team.")
    page.locator("article.comment details.reply button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"#c-[a-z0-9]+$"))
    expect(page.locator("ol.replies article.comment")).to_have_count(1)
    maria.close()
    other.close()
