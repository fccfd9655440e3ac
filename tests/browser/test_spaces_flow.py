"""An admin creates a space and adds a member; the member writes in it; others do not see it."""

import pytest

from tests.browser.conftest import login

pytestmark = pytest.mark.browser


def test_admin_creates_a_space_and_its_member_edits_there(browser, server):
    problems = []

    def session():
        context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        # a Content-Security-Policy violation or a script error shows up in the console
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        return context, page

    context, admin = session()
    login(admin, "ada", display_name="Ada Admin")
    admin.click("header >> text=Admin")
    admin.click("nav.tabs >> text=Spaces")
    admin.fill("#space-name", "WG7")
    admin.fill("#space-title", "WG7 Digital clusters")
    admin.select_option("#space-read", "members")
    admin.select_option("#space-write", "members")
    admin.click("text=Create space")
    admin.wait_for_selector("text=Created the space WG7")
    admin.select_option("#member-kind", "user")
    admin.fill("#member-name", "gus")
    admin.click("#add-member button[type=submit]")
    admin.wait_for_selector("text=Added gus to WG7")
    assert admin.locator("ul.members li", has_text="gus").count() == 1
    assert admin.locator("table.audit", has_text="space.member.add").count() == 1
    context.close()

    context, member = session()
    login(member, "gus", display_name="Gus Kovács")
    member.click("#sidebar >> text=Spaces")
    member.click("text=WG7 Digital clusters")
    member.click("text=Write its home page")
    member.locator("textarea[name=content]").fill(
        "# WG7 Digital clusters\n\nOur first draft about **data spaces**.\n"
    )
    member.locator("#preview strong", has_text="data spaces").wait_for()
    member.click("form#editor button[type=submit]")
    member.wait_for_selector("text=Our first draft about")
    assert "/WG7/Home" in member.url
    # the space's home lists its member and the change just made
    assert member.locator(".space-panel .members", has_text="Gus Kovács").count() == 1
    assert member.locator(".space-panel .recent-in-space", has_text="Home").count() == 1
    context.close()

    context, editor = session()
    login(editor)  # Maria: an editor, but not a member of WG7
    response = editor.goto("/WG7/Home")
    assert response.status == 404
    editor.goto("/-/search?q=data+spaces")
    assert editor.locator("text=WG7 Digital clusters").count() == 0
    assert editor.locator("#sidebar", has_text="WG7").count() == 0
    context.close()
    assert problems == [] or all("404" in p for p in problems), problems
