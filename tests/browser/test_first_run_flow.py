"""First run in a browser: a fresh wiki with no account prints its setup address on the
console; opening it and filling the form lands the visitor logged in as administrator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.served import free_port

pytestmark = pytest.mark.browser


@pytest.fixture
def fresh_server(tmp_path):
    """`wiki init` and `wiki serve` with no account; yields (base URL, console text)."""
    env = {
        **os.environ,
        "WIKI_INSTANCE": str(tmp_path / "instance"),
        "WIKI_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "WIKI_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    init = subprocess.run(
        [sys.executable, "-m", "wiki", "init"], env=env, text=True, capture_output=True
    )
    assert init.returncode == 0, init.stderr
    port = free_port()
    console = tmp_path / "console.log"
    with open(console, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wiki", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            with urllib.request.urlopen(base + "/-/health", timeout=1):
                break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("the wiki did not start: " + console.read_text()[-2000:])
            time.sleep(0.1)
    yield base, console
    proc.terminate()
    proc.wait(10)


def test_the_printed_address_makes_the_first_administrator(browser, fresh_server):
    base, console = fresh_server
    printed = re.search(r"Open (http://\S+/-/setup/(\S+)) to create the first", console.read_text())
    assert printed, console.read_text()
    address, token = printed.groups()
    assert address.startswith(base + "/-/setup/")

    context = browser.new_context(base_url=base, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(address)
    assert page.url == base + "/-/setup"  # the token left the address bar
    assert token not in page.content()
    page.fill("#username", "chief")
    page.fill("#display_name", "Chris Chief")
    page.fill("#email", "chief@example.org")
    page.fill("#password", "first-admin-password")
    page.fill("#confirm_password", "first-admin-password")
    page.click("main button.primary")
    page.wait_for_selector("text=Welcome, Chris Chief. You are the administrator of this wiki.")
    assert page.url.endswith("/-/admin/users")
    assert page.locator("a.who", has_text="Chris Chief").count() == 1
    assert page.locator("table.accounts", has_text="chief").count() == 1
    assert not problems, problems

    # the address is spent: another browser is told so
    other = browser.new_context(base_url=base)
    late = other.new_page()
    response = late.goto(address)
    assert response.status == 410
    assert late.locator("main", has_text="has an administrator already").count() == 1
    other.close()
    context.close()
