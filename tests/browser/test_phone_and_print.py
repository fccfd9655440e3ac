"""On a phone the navigation is a panel behind a menu button and no page is wider than
the screen; printed, a page is the page alone with its links' targets written out."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
NOTE = "WG4/Phone note"
NOTE_TEXT = (
    "# Phone note\n\nSee [the EU page](https://ec.europa.eu/growth/clusters) and "
    "[[Partnership]] and [[#far|below]].\n\n"
    "| Country | Programme | Budget | Years | Contact person | Notes about the programme |\n"
    "|---|---|---|---|---|---|\n"
    "| Slovenia | SPIRIT cluster support programme | 4.2 M EUR | 2021–2027 | "
    "Maria Papadopoulou | A long note about the programme that goes on and on |\n\n"
    "```\nsome_code = call_a_function_with_a_rather_long_name(argument_one, argument_two)\n```\n\n"
    "## Far\n\nEnd.\n"
)


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(base_url=server, viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _save(page, name, text, message):
    page.goto("/-/edit/" + quote(name))
    page.locator("textarea[name=content]").fill(text)
    page.fill("#message", message)
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda url: "/-/edit/" not in url)


def test_the_phone_menu_opens_and_closes(phone):
    login(phone)
    phone.goto("/Partnership")
    button = phone.locator("button.menu-button")
    panel = phone.locator("#sidebar")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(panel).to_be_hidden()  # off the screen, out of the tab order
    # one search box, in the header
    expect(phone.locator("input[type=search]:visible")).to_have_count(1)

    # the button opens it, the close button closes it and gives the focus back
    button.click()
    expect(panel).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(panel.locator("a", has_text="Recent changes")).to_be_in_viewport()
    expect(panel.locator(".usernav a", has_text="Maria Rossi")).to_be_visible()
    panel.locator("button.menu-close").click()
    expect(panel).to_be_hidden()
    expect(button).to_be_focused()

    # Escape, from the keyboard alone
    button.focus()
    phone.keyboard.press("Enter")
    expect(panel).to_be_visible()
    expect(panel.locator("button.menu-close")).to_be_focused()
    phone.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(button).to_have_attribute("aria-expanded", "false")

    # a tap outside
    button.click()
    expect(panel).to_be_visible()
    phone.mouse.click(370, 400)
    expect(panel).to_be_hidden()

    # following a link closes it and goes there
    button.click()
    panel.locator("a", has_text="Recent changes").click()
    phone.wait_for_url("**/-/recent")
    expect(phone.locator("#sidebar")).to_be_hidden()


def test_no_page_is_wider_than_a_phone(browser, server):
    admin = browser.new_context(base_url=server, viewport=PHONE, bypass_csp=True).new_page()
    login(admin, "ada", display_name="Ada Admin")
    _save(admin, NOTE, NOTE_TEXT, "First")
    _save(admin, NOTE, NOTE_TEXT.replace("4.2 M EUR", "5 M EUR"), "Budget")
    pages = [
        "/",
        "/" + quote(NOTE),
        "/-/history/" + quote(NOTE),
        "/-/diff/" + quote(NOTE) + "?view=inline",
        "/-/diff/" + quote(NOTE) + "?view=split",
        "/-/recent",
        "/-/search?q=cluster",
        "/-/types/best-practice",
        "/-/admin/users",
        "/-/events",
        "/-/library",
    ]
    for address in pages:
        response = admin.goto(address)
        assert response.status == 200, address
        width = admin.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (address, width)
    admin.context.close()


def test_printing_shows_the_page_alone_with_link_targets(page):
    login(page)
    _save(page, NOTE, NOTE_TEXT, "For print")
    page.goto("/" + quote(NOTE))
    page.emulate_media(media="print")
    for hidden in ("header.topbar", "#sidebar", ".footer", "nav.actions", ".breadcrumbs"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator(".page-head h1")).to_have_text("Phone note")
    main_box = page.locator("main").bounding_box()
    assert main_box["x"] < 20 and main_box["width"] > 1200  # the whole width
    after = "a => getComputedStyle(a, '::after').content"
    outside = page.locator(".markdown a[href^='http']").first.evaluate(after)
    assert outside == '" (" attr(href) ")"' or "ec.europa.eu" in outside
    inside = page.locator(".markdown a.wikilink", has_text="Partnership").evaluate(after)
    assert inside == '" (" attr(href) ")"' or "/Partnership" in inside
    anchor = page.locator(".markdown a[href^='#']").first.evaluate(after)
    assert anchor in ("none", "normal")
    # tables and code are not cut: they wrap or fit instead of scrolling
    assert page.locator(".markdown table").evaluate("t => getComputedStyle(t).overflowX") in (
        "visible",
        "clip",
    )
    assert page.locator(".markdown pre").evaluate("p => getComputedStyle(p).whiteSpace") in (
        "pre-wrap",
        "break-spaces",
    )
    assert len(page.pdf(format="A4")) > 1000


def test_without_javascript_the_menu_link_leads_down_to_the_navigation(browser, server):
    context = browser.new_context(base_url=server, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto("/Partnership")
    expect(page.locator("button.menu-button")).to_be_hidden()
    link = page.locator("header a.menu-link")
    expect(link).to_be_visible()
    main_box = page.locator("main").bounding_box()
    side_box = page.locator("#sidebar").bounding_box()
    assert side_box["y"] >= main_box["y"] + main_box["height"] - 1  # stacked below
    link.click()
    expect(page.locator("#sidebar a", has_text="Recent changes")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
