"""A real wiki served by gunicorn on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.served import PASSWORD
from tests.served import serve

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The starter wiki served by gunicorn, one per test module (tests use pages of their
    own); Maria (editor) is a member of WG4."""
    served = serve(tmp_path_factory.mktemp("served"), {"maria": "WG4"})
    yield served.base
    served.stop()


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run; every test gets its own context (cookies, storage)."""
    path = chromium_path()
    if path is None:
        pytest.skip(
            "no Chromium: install Debian's chromium (apt-get install chromium) "
            "or set CHROMIUM_PATH to run the browser tests"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')"
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login(page, username="maria", password=PASSWORD, display_name="Maria Rossi"):
    page.goto("/-/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_selector(f"text=Welcome, {display_name}.")
