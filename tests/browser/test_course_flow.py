"""The S3 course, in Chromium: started from its home, followed module by module with Next
to the last part and back with Previous, the outline marking where the reader is; and a
reader on a phone gets the same way through."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MODULES = [
    "Preparation day",
    "The smart specialisation method",
    "Assessing the region",
    "Carrying out the strategy through clusters",
    "Better cluster policy making",
    "Follow-up day",
]


def test_the_course_is_followed_module_by_module(page):
    page.goto("/Training/S3%20course/Home")
    page.get_by_role("link", name="Start with part 1: Preparation day").click()
    for number, title in enumerate(MODULES, 1):
        expect(page.locator("h1")).to_have_text(title)
        top = page.locator("nav.course-nav").first
        expect(top).to_contain_text(f"Part {number} of {len(MODULES)}")
        expect(page.locator("nav.course-nav")).to_have_count(2)  # top and bottom
        page.locator("nav.course-outline summary").click()
        expect(page.locator(".course-outline [aria-current=page]")).to_have_text(title)
        if number < len(MODULES):
            page.locator("nav.course-nav").last.locator("a[rel=next]").click()
    expect(page.locator("nav.course-nav").first.locator(".course-next")).to_have_text(
        "Back to the course ›"
    )
    page.locator("nav.course-nav").first.locator("a[rel=prev]").click()
    expect(page.locator("h1")).to_have_text(MODULES[-2])


def test_on_a_phone_the_way_on_stays_reachable(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/Training/S3%20course/Assessing%20the%20region")
    nav = page.locator("nav.course-nav").first
    expect(nav.locator("a[rel=next]")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # the navigation does not widen the page
    nav.locator("a[rel=next]").click()
    expect(page.locator("h1")).to_have_text(MODULES[3])
    context.close()
