"""Searching from the header box, in Chromium."""

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_suggestions_while_typing_lead_to_the_page(page):
    page.goto("/")
    page.locator("#q").press_sequentially("toolb", delay=30)
    suggestion = page.locator("#q-suggestions a", has_text="Study trip toolbox")
    suggestion.wait_for()
    page.locator("#q").press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/Learning/Study%20trip%20toolbox")
    assert page.locator("h1", has_text="Study trip toolbox").is_visible()


def test_search_results_facets_and_stemming(page):
    login(page)  # the working-group spaces are read by registered users
    page.goto("/")
    page.fill("#q", "klaszterek")
    page.press("#q", "Enter")
    page.wait_for_selector("ol.results")
    first = page.locator("ol.results li.result").first
    assert "Klaszterfinanszírozás" in first.inner_text()
    assert first.locator("mark").count() >= 1
    page.goto("/-/search?q=cluster")
    page.locator("aside.facets a", has_text="WG4").first.click()
    page.wait_for_selector("text=Filtered by:")
    results = page.locator("ol.results li.result")
    assert results.count() >= 1
    for i in range(results.count()):
        assert "WG4/" in results.nth(i).locator(".path").inner_text()
