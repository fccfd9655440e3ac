"""Opening a large folder of the page index loads its pages, in Chromium."""

import pytest

pytestmark = pytest.mark.browser


def test_opening_a_large_folder_loads_its_pages(page):
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
    # the starter folders are small (drawn in place): make the first one look as a large
    # one is drawn, closed with a link, then open it as a reader would
    page.goto("/-/pages")
    page.evaluate("""() => {
        const d = document.querySelector('.page-index details');
        d.open = false;
        d.setAttribute('data-folder', d.querySelector('summary').textContent.split('/')[0]);
        d.querySelector(':scope > ul').replaceWith(Object.assign(
            document.createElement('p'), {className: 'tree-more', textContent: 'more'}));
    }""")
    folder = page.locator(".page-index details[data-folder]").first
    name = folder.get_attribute("data-folder")
    folder.locator("summary").click()
    folder.locator(f"a[href^='/{name}/']").first.wait_for()
    assert folder.locator(".tree-more").count() == 0
    assert problems == []
