"""The wiki in Hungarian, in Chromium: a browser that asks for Hungarian gets the whole
interface in Hungarian (login, editing, saving, searching, dates), and the switcher
turns it into German and keeps that choice."""

import re

import pytest
from babel.support import Translations
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from wiki.i18n import TRANSLATIONS
from wiki.i18n import compile_catalogs

pytestmark = pytest.mark.browser


def catalog(locale: str):
    compile_catalogs()
    return Translations.load(str(TRANSLATIONS), [locale])


def test_login_edit_and_search_in_hungarian_then_switch_to_german(browser, server):
    hu, de = catalog("hu"), catalog("de")
    context = browser.new_context(
        base_url=server, locale="hu-HU", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/-/login")
    expect(page.locator("html")).to_have_attribute("lang", "hu")
    expect(page.locator("h1")).to_have_text(hu.gettext("Log in"))
    page.fill("#username", "maria")
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    welcome = hu.gettext("Welcome, %(name)s.") % {"name": "Maria Rossi"}
    expect(page.locator(".flash")).to_have_text(welcome)
    page.goto("/-/edit/WG4/Magyar%20jegyzet")
    page.locator("textarea[name=content]").fill("# Magyar jegyzet\n\nKlaszterek finanszírozása.\n")
    expect(page.locator("form#editor button[type=submit]")).to_have_text(hu.gettext("Save"))
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda url: "/-/edit/" not in url)
    expect(page.locator(".flash")).to_have_text(hu.gettext("Saved."))
    page.fill("#q", "finanszírozása")
    page.press("#q", "Enter")
    page.wait_for_url("**/-/search?**")
    expect(page.locator("main")).to_contain_text("Magyar jegyzet")
    pages = hu.ngettext("%(num)d page", "%(num)d pages", 2)
    count = re.compile(re.escape(pages).replace(re.escape("%(num)d"), r"\d+"))
    expect(page.locator(".result-bar")).to_contain_text(count)
    # the switcher: German, remembered
    page.locator("details.languages summary").click()
    page.locator("details.languages [lang=de]").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.goto("/-/recent")
    expect(page.locator("h1")).to_have_text(de.gettext("Recent changes"))
    context.close()
