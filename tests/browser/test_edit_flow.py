"""Log in, create a page, edit with live preview, save, history, diff, restore: in Chromium."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_create_edit_history_diff_restore(page):
    login(page)
    name = "WG4/Garancia – őszi terv"
    page.goto("/-/edit/" + quote(name))
    editor = page.locator("textarea[name=content]")
    editor.fill("# Garancia\n\nFirst **version** with [[Partnership]] and [[Nowhere yet]].\n")
    # the live preview renders the Markdown, wikilinks included
    preview = page.locator("#preview")
    preview.locator("strong", has_text="version").wait_for()
    assert preview.locator("a.wikilink[href='/Partnership']").count() == 1
    assert preview.locator("a.wikilink.missing").count() == 1
    page.fill("#message", "First draft")
    page.keyboard.press("Control+s")  # Ctrl+S saves
    page.wait_for_url(lambda url: "/-/edit/" not in url)
    assert page.locator("h1", has_text="Garancia").is_visible()
    assert page.locator(".flash", has_text="Saved.").is_visible()

    # second version through the Edit button
    page.click("nav.actions >> text=Edit")
    editor = page.locator("textarea[name=content]")
    editor.fill("# Garancia\n\nSecond version, rewritten.\n")
    page.fill("#message", "Rewrite")
    page.click("form#editor button[type=submit]")
    page.wait_for_selector("text=Second version, rewritten.")

    # history lists both, with authors and summaries
    page.click("nav.actions >> text=History")
    rows = page.locator("table.revisions tbody tr")
    assert rows.count() == 2
    assert "Rewrite" in rows.nth(0).inner_text() and "Maria Rossi" in rows.nth(0).inner_text()
    assert "First draft" in rows.nth(1).inner_text()

    # compare the two revisions
    page.click("text=Compare selected revisions")
    page.wait_for_selector("table.diff")
    assert "First **version**" in page.locator("table.diff tr.del").first.inner_text()
    assert "Second version" in page.locator("table.diff tr.add").first.inner_text()

    # restore the first version from history
    page.click("text=history")
    page.locator("table.revisions tbody tr").nth(1).locator("text=restore").click()
    page.wait_for_selector("text=Restored the page")
    assert page.locator(".markdown strong", has_text="version").is_visible()
    page.goto("/-/history/" + quote(name))
    assert page.locator("table.revisions tbody tr").count() == 3


def test_leaving_with_unsaved_changes_asks_first(page):
    login(page)
    page.goto("/-/edit/Help")
    page.locator("textarea[name=content]").fill("changed but not saved")
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    # the click returns once the dialog it raised was answered
    page.locator("a.button", has_text="Cancel").click()
    assert dialogs == ["beforeunload"]
    assert "/-/edit/Help" in page.url
    assert page.locator("textarea[name=content]").input_value() == "changed but not saved"


def test_conflicting_edit_keeps_my_text(browser, server):
    first = browser.new_context(base_url=server).new_page()
    second = browser.new_context(base_url=server).new_page()
    for p in (first, second):
        login(p)
        p.goto("/-/edit/Partnership")
    first.locator("textarea[name=content]").fill("# The partnership\n\nTheirs.\n")
    first.click("form#editor button[type=submit]")
    first.wait_for_selector("text=Theirs.")
    second.locator("textarea[name=content]").fill("# The partnership\n\nMine, typed for an hour.\n")
    second.click("form#editor button[type=submit]")
    second.wait_for_selector("section.conflict")
    assert "Mine, typed for an hour." in second.locator("textarea[name=content]").input_value()
    assert "Theirs." in second.locator("#current-text").input_value()
    first.context.close()
    second.context.close()


def test_phone_layout_puts_the_sidebar_behind_the_menu_button(page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/WG4/Home")
    # the navigation is a panel the menu opens (tests/browser/test_phone_and_print.py)
    expect(page.locator("#sidebar")).to_be_hidden()
    expect(page.locator("button.menu-button")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_typing_double_brackets_offers_pages_to_link(page):
    login(page)
    page.goto("/-/edit/" + quote("WG4/Linking test"))
    editor = page.locator("textarea[name=content]")
    editor.fill("# Linking test\n\nSee ")
    editor.press("End")
    editor.press_sequentially("[[study tr", delay=30)
    option = page.locator("#link-suggestions li", has_text="Study trip toolbox")
    option.wait_for()
    editor.press("Enter")  # inserts the highlighted page, not a new line
    assert editor.input_value() == "# Linking test\n\nSee [[Learning/Study trip toolbox]]"
    assert page.locator("#link-suggestions").is_hidden()
    page.locator("#preview a.wikilink[href='/Learning/Study%20trip%20toolbox']").wait_for()
    # the button starts a link at the caret, then the same suggestions follow
    editor.press("End")
    editor.press_sequentially(" and ")
    page.click("#insert-link")
    editor.press_sequentially("partner", delay=30)
    page.locator("#link-suggestions li", has_text="Partnership").wait_for()
    page.locator("#link-suggestions li", has_text="Partnership").click()
    assert editor.input_value().endswith("and [[Partnership]]")


def test_the_preview_shows_what_is_wrong_with_the_front_matter(page):
    login(page)
    page.goto("/-/edit/" + quote("WG4/Anchored"))
    page.locator("textarea[name=content]").fill("---\ntitle: x\nfoo: &a bar\n---\n# Body\n")
    problem = page.locator("#preview .flash.error")
    problem.wait_for()
    assert "Front matter line 3: anchors and aliases" in problem.inner_text()
    assert page.locator("#preview").get_attribute("data-error") is None
