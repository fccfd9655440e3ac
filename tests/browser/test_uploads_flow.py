"""Files in the editor, in Chromium: dropped on the text, pasted, or chosen with the
button, each uploaded next to the page and linked at the cursor."""

import base64
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login

pytestmark = pytest.mark.browser

PNG_B64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5Er"
    "kJggg=="
)


@pytest.fixture
def free_page(browser, server):
    """A page whose tests may build drop and paste events (the wiki's CSP allows no
    script from the test itself)."""
    context = browser.new_context(
        base_url=server, bypass_csp=True, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _event_with_file(page, kind: str, name: str, mime: str, b64: str) -> None:
    page.evaluate(
        """([kind, name, mime, b64]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const data = new DataTransfer();
            data.items.add(new File([bytes], name, {type: mime}));
            const area = document.querySelector('textarea[name=content]');
            area.focus();
            const event = kind === 'drop'
                ? new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true})
                : new ClipboardEvent('paste',
                                     {clipboardData: data, bubbles: true, cancelable: true});
            area.dispatchEvent(event);
        }""",
        [kind, name, mime, b64],
    )


def test_dropped_pasted_and_chosen_files_are_committed_and_linked(free_page, tmp_path):
    page = free_page
    login(page)
    page.goto("/-/edit/WG4/Uploads%20test")
    text = page.locator("textarea[name=content]")
    text.fill("# Uploads test\n\n")
    _event_with_file(
        page, "drop", "plan.pdf", "application/pdf", "JVBERi0xLjQKJSBhIHBkZgo="
    )  # "%PDF-1.4\n% a pdf\n"
    expect(text).to_have_value(re.compile(r"\[plan\.pdf\]\(plan\.pdf\)"))
    _event_with_file(page, "paste", "image.png", "image/png", PNG_B64)
    expect(text).to_have_value(re.compile(r"!\[screenshot-[0-9-]+\.png\]\(screenshot-"))
    chosen = tmp_path / "logo 2013.png"
    chosen.write_bytes(base64.b64decode(PNG_B64))
    page.set_input_files("#attach-input", str(chosen))
    expect(text).to_have_value(re.compile(r"!\[logo 2013\.png\]\(logo%202013\.png\)"))
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda url: "/-/edit/" not in url)
    # the image shows (served from /WG4/ beside the page), the PDF is a working link
    image = page.locator(".markdown img[src='logo%202013.png']")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 1  # the bytes arrived as an image
    response = page.request.get("/WG4/plan.pdf")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"


def test_a_file_attached_into_another_folder_is_linked_relatively(free_page, tmp_path):
    page = free_page
    login(page)
    page.goto("/-/edit/WG4/Linking%20elsewhere")
    text = page.locator("textarea[name=content]")
    text.fill("# Linking elsewhere\n\n")
    page.fill("#attach-folder", "Public/Reports")
    report = tmp_path / "report (final).pdf"
    report.write_bytes(base64.b64decode("JVBERi0xLjQKJSBhIHBkZgo="))
    page.set_input_files("#attach-input", str(report))
    expect(text).to_have_value(
        re.compile(re.escape("[report (final).pdf](../Public/Reports/report%20%28final%29.pdf)"))
    )
    page.click("form#editor button[type=submit]")
    page.wait_for_url(lambda url: "/-/edit/" not in url)
    link = page.locator(".markdown a", has_text="report (final).pdf")
    assert (
        page.request.get(
            link.get_attribute("href")
            if link.get_attribute("href").startswith("/")
            else "/WG4/" + link.get_attribute("href")
        ).status
        == 200
    )


def test_a_file_dropped_on_a_german_page_is_filed_as_german(free_page):
    page = free_page
    login(page)
    page.goto("/-/edit/WG4/Bericht")
    text = page.locator("textarea[name=content]")
    text.fill("---\nlang: de\n---\n# Bericht\n\n")
    _event_with_file(page, "drop", "bericht.pdf", "application/pdf", "JVBERi0xLjQKJSBhIHBkZgo=")
    expect(text).to_have_value(re.compile(r"\[bericht\.pdf\]\(bericht\.pdf\)"))
    german = page.request.get("/-/library?lang=de").text()
    assert "bericht.pdf" in german
    assert "bericht.pdf" not in page.request.get("/-/library?lang=en").text()
