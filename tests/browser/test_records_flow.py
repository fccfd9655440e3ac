"""Records in Chromium: a best practice filled through the form (kept in step with the
front matter both ways), then two of them compared from the collection."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_a_record_is_filled_by_form_and_the_front_matter_follows_both_ways(page):
    login(page)
    page.goto("/-/types/best-practice")
    page.fill("form.new-record input[name=title]", "Cluster vouchers in Pannonia")
    page.click("form.new-record button[type=submit]")
    page.wait_for_url("**/-/edit/**")
    form = page.locator("#record-form")
    form.wait_for(state="visible")
    text = page.locator("textarea[name=content]")
    page.select_option("#field-country", "Hungary")
    page.select_option("#field-wg", "WG4")
    page.fill("#field-activity", "Vouchers: for cluster members")  # needs quoting in YAML
    page.fill("#field-results", "Forty firms took part.")
    expect(text).to_have_value(re.compile("results: Forty"))  # (no eval under the CSP)
    value = text.input_value()
    assert "country: Hungary\n" in value and "wg: WG4\n" in value
    assert 'activity: "Vouchers: for cluster members"\n' in value
    # typed in the text, shown in the form
    text.fill(value.replace("review_state:", "review_state: approved"))
    expect(page.locator("#field-review_state")).to_have_value("approved")
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda url: "/-/edit/" not in url)
    box = page.locator("aside.metabox.record")
    assert box.locator("dd", has_text="Hungary").count() == 1
    assert box.locator("a", has_text="WG4 Improving the financial framework").count() == 1
    assert box.locator("dd", has_text="Vouchers: for cluster members").count() == 1


def test_two_records_are_compared_from_their_collection(page):
    login(page)
    for title, country in (("Green loans in Styria", "Austria"), ("Export desk", "Greece")):
        page.goto("/-/types/best-practice")
        page.fill("form.new-record input[name=title]", title)
        page.click("form.new-record button[type=submit]")
        page.wait_for_url("**/-/edit/**")
        page.locator("#record-form").wait_for(state="visible")
        page.select_option("#field-country", country)
        expect(page.locator("textarea[name=content]")).to_have_value(re.compile(country))
        page.click("form#editor button[type=submit]")
        page.wait_for_url(lambda url: "/-/edit/" not in url)
    page.goto("/-/types/best-practice")
    page.check("input[aria-label='Compare Green loans in Styria']")
    page.check("input[aria-label='Compare Export desk']")
    page.click("text=Compare the chosen records")
    page.wait_for_url("**/-/compare?**")
    titles = {page.locator("table.compare thead th a").nth(i).inner_text() for i in (0, 1)}
    assert titles == {"Green loans in Styria", "Export desk"}
    country = page.locator("table.compare tr", has=page.locator("th", has_text="Country"))
    assert "Austria" in country.inner_text() and "Greece" in country.inner_text()
