"""A link to a section of a page lands on it, although page ids carry a prefix."""

from urllib.parse import quote

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_an_old_style_section_link_scrolls_to_the_heading(page):
    login(page)
    name = "WG4/Anchors"
    page.goto("/-/edit/" + quote(name))
    filler = "\n\n".join(f"Paragraph {i} of a long page." for i in range(80))
    page.locator("textarea[name=content]").fill(f"# Anchors\n\n{filler}\n\n## Far away\n\nEnd.\n")
    page.click("form#editor button[type=submit]")
    page.wait_for_selector("text=End.")
    page.goto("/" + quote(name) + "#far-away")
    heading = page.locator("#user-content-far-away")
    assert heading.count() == 1 and page.locator("#far-away").count() == 0
    page.wait_for_function(
        "document.getElementById('user-content-far-away')"
        ".getBoundingClientRect().top < window.innerHeight"
    )
    assert page.evaluate("window.scrollY") > 500
