"""The editor's comforts in Chromium: the formatting toolbar and its shortcuts, drafts kept
in the browser, the preview following the caret, the warning after a refused save, the
phone tabs, and *New page* asking for the name first."""

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def _select(editor, text: str) -> None:
    """Select `text` in the textarea with the keyboard, as a user would."""
    value = editor.input_value()
    start = value.index(text)
    editor.press("Control+Home")
    for _ in range(start):
        editor.press("ArrowRight")
    for _ in range(len(text)):
        editor.press("Shift+ArrowRight")


def test_toolbar_marks_the_selection_and_shortcuts_toggle_it(page):
    login(page)
    page.goto("/-/edit/" + quote("WG4/Toolbar test"))
    editor = page.locator("textarea[name=content]")
    editor.fill("# Toolbar test\n\nmake this loud")
    _select(editor, "loud")
    page.get_by_role("button", name="Bold", exact=True).click()
    expect(editor).to_have_value("# Toolbar test\n\nmake this **loud**")
    page.locator("#preview strong", has_text="loud").wait_for()
    # the selection stays on the word: Ctrl+B takes the marks off again, and on again
    editor.press("Control+b")
    expect(editor).to_have_value("# Toolbar test\n\nmake this loud")
    editor.press("Control+b")
    expect(editor).to_have_value("# Toolbar test\n\nmake this **loud**")
    # the browser's undo knows these edits
    editor.press("Control+z")
    expect(editor).to_have_value("# Toolbar test\n\nmake this loud")
    _select(editor, "this")
    editor.press("Control+i")
    expect(editor).to_have_value("# Toolbar test\n\nmake _this_ loud")

    # the link button: the selected words become the label, the address is selected
    _select(editor, "loud")
    page.get_by_role("button", name="Link", exact=True).click()
    expect(editor).to_have_value("# Toolbar test\n\nmake _this_ [loud](https://)")
    editor.press_sequentially("https://example.org/")
    expect(editor).to_have_value("# Toolbar test\n\nmake _this_ [loud](https://example.org/)")
    page.locator("#preview a[href='https://example.org/']", has_text="loud").wait_for()
    # Ctrl+K without a selection: a placeholder label, selected, to type over
    editor.press("Control+End")
    editor.press("Enter")
    editor.press("Control+k")
    editor.press_sequentially("report")
    expect(editor).to_have_value(
        "# Toolbar test\n\nmake _this_ [loud](https://example.org/)\n[report](https://)"
    )

    # a list from the lines of the selection, and a tooltip that names the shortcut
    editor.fill("one\ntwo")
    editor.press("Control+a")
    page.get_by_role("button", name="Numbered list").click()
    expect(editor).to_have_value("1. one\n2. two")
    assert "Ctrl+B" in page.get_by_role("button", name="Bold", exact=True).get_attribute("title")
    assert page.get_by_role("toolbar", name="Formatting").is_visible()


def test_a_draft_comes_back_after_a_reload_and_goes_after_a_save(page):
    login(page)
    url = "/-/edit/" + quote("WG4/Draft test")
    page.goto(url)
    editor = page.locator("textarea[name=content]")
    editor.fill("# Draft test\n\nTyped for an hour, then the tab crashed.\n")
    page.fill("#message", "Long work")
    page.wait_for_timeout(700)  # the draft is kept a moment after typing stops
    page.on("dialog", lambda dialog: dialog.accept())  # leave without saving
    page.goto(url)
    offer = page.locator(".draft-offer")
    expect(offer).to_contain_text("was not saved")
    expect(editor).to_have_value("# Draft test\n\n")  # the server's text until restored
    offer.get_by_role("button", name="Restore").click()
    expect(editor).to_have_value("# Draft test\n\nTyped for an hour, then the tab crashed.\n")
    expect(page.locator("#message")).to_have_value("Long work")
    expect(offer).to_have_count(0)
    page.locator("#preview", has_text="then the tab crashed").wait_for()

    # saved: the draft is gone
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda u: "/-/edit/" not in u)
    page.goto(url)
    expect(editor).to_have_value("# Draft test\n\nTyped for an hour, then the tab crashed.\n")
    page.wait_for_timeout(300)
    expect(page.locator(".draft-offer")).to_have_count(0)

    # Discard forgets a draft
    editor.fill("# Draft test\n\nA second thought.\n")
    page.wait_for_timeout(700)
    page.goto(url)
    page.locator(".draft-offer").get_by_role("button", name="Discard").click()
    page.goto(url)
    page.wait_for_timeout(300)
    expect(page.locator(".draft-offer")).to_have_count(0)


def test_a_refused_save_keeps_the_draft_and_asks_before_leaving(page):
    login(page)
    url = "/-/edit/" + quote("WG4/Refused test")
    page.goto(url)
    editor = page.locator("textarea[name=content]")
    text = "---\ntitle: [unclosed\n---\n# Refused test\n\nWords worth keeping.\n"
    editor.fill(text)
    page.click("form#editor button[type=submit]")
    page.locator(
        ".flashes .flash.error"
    ).wait_for()  # the editor again, with the text and the problem
    expect(editor).to_have_value(text)

    dialogs, leave = [], []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.accept() if leave else dialog.dismiss()

    page.on("dialog", answer)
    page.locator("a.button", has_text="Cancel").click()
    assert dialogs == ["beforeunload"]
    assert "/-/edit/" in page.url

    # the refused text is a draft: it is offered when the editor opens again
    leave.append(True)
    page.goto(url)
    page.locator(".draft-offer").get_by_role("button", name="Restore").click()
    expect(editor).to_have_value(text)

    # sending the form again does not ask
    dialogs.clear()
    editor.fill("# Refused test\n\nFixed.\n")
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda u: "/-/edit/" not in u)
    assert dialogs == []


def test_the_preview_follows_typing_at_the_end_of_a_long_page(page):
    login(page)
    page.goto("/-/edit/" + quote("WG4/Long page"))
    editor = page.locator("textarea[name=content]")
    sections = [f"## Section {i}\n\n" + "A paragraph of words. " * 30 + "\n" for i in range(40)]
    editor.fill("# Long page\n\n" + "\n".join(sections))
    page.locator("#preview h2", has_text="Section 39").wait_for()
    editor.press("Control+End")
    editor.press_sequentially("\nThe very last words.", delay=20)
    last = page.locator("#preview p", has_text="The very last words.")
    expect(last).to_be_in_viewport()
    # back to the top: the preview follows
    editor.press("Control+Home")
    editor.press("ArrowDown")
    expect(page.locator("#preview h2", has_text="Section 0")).to_be_in_viewport()
    # the caret in the middle: that section is shown
    _caret_after(editor, "## Section 20\n")
    expect(page.locator("#preview h2", has_text="Section 20")).to_be_in_viewport()


def _caret_after(editor, text: str) -> None:
    """Put the caret after `text` (long lines wrap: arrow keys would count wrapped rows),
    then move it with a key as a user would."""
    at = editor.input_value().index(text) + len(text) - 1
    editor.evaluate("(el, at) => { el.focus(); el.setSelectionRange(at, at); }", at)
    editor.press("End")


def test_phones_show_the_text_or_the_preview_and_keep_save_in_reach(page):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page)
    page.goto("/-/edit/Help")
    editor = page.locator("textarea[name=content]")
    preview = page.locator("#preview")
    expect(editor).to_be_visible()
    expect(preview).to_be_hidden()
    save = page.locator("form#editor button[type=submit]")
    expect(save).to_be_in_viewport()
    page.get_by_role("tab", name="Preview").click()
    expect(preview).to_be_visible()
    expect(editor).to_be_hidden()
    expect(page.get_by_role("tab", name="Preview")).to_have_attribute("aria-selected", "true")
    page.mouse.wheel(0, 3000)
    expect(save).to_be_in_viewport()
    page.get_by_role("tab", name="Edit").click()
    expect(editor).to_be_visible()
    # the toolbar scrolls sideways: the page is not wider than the phone
    expect(page.get_by_role("button", name="Bold", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_new_page_asks_for_the_name_in_the_current_folder(page):
    login(page)
    page.goto("/WG4/Home")
    page.click("a[data-new-page]")
    folder = page.locator("#new-folder")
    expect(folder).to_have_value("WG4/")
    name = page.locator("#new-name")
    name.press_sequentially("Home", delay=20)
    status = page.locator("#new-status")
    expect(status).to_contain_text("'WG4/Home' exists already.")
    expect(status.get_by_role("link", name="Open it")).to_have_attribute("href", "/WG4/Home")
    name.fill("")
    name.press_sequentially("Bad: name", delay=20)
    expect(status).to_contain_text("cannot contain :")
    name.fill("")
    name.press_sequentially("Fresh plan", delay=20)
    expect(status).to_contain_text("New page: WG4/Fresh plan")
    page.get_by_role("button", name="Open the editor").click()
    page.wait_for_url("**/-/edit/WG4/Fresh%20plan")
    expect(page.locator("textarea[name=content]")).to_have_value("# Fresh plan\n\n")
