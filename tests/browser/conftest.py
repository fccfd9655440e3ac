"""A real wiki served by gunicorn on 127.0.0.1 and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PASSWORD = "browser-test-pw"
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`wiki init`, an editor account, and `wiki serve` (gunicorn, 2 workers) on a free port."""
    env = {
        **os.environ,
        "WIKI_INSTANCE": str(tmp_path / "instance"),
        "WIKI_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    cmd = [sys.executable, "-m", "wiki"]
    subprocess.run([*cmd, "init"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            *cmd,
            "user",
            "add",
            "maria",
            "--role",
            "editor",
            "--display-name",
            "Maria Rossi",
            "--password-stdin",
        ],
        env=env,
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    for username, role, display in (("ada", "admin", "Ada Admin"), ("gus", "reader", "Gus Kovács")):
        subprocess.run(
            [*cmd, "user", "add", username, "--role", role, "--display-name", display,
             "--password-stdin"],
            env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True,
        )
    # the starter WG spaces are written by their members: Maria is in WG4
    subprocess.run([*cmd, "space", "add", "WG4", "maria"], env=env, check=True,
                   capture_output=True)
    port = _free_port()
    proc = subprocess.Popen(
        [*cmd, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
                pytest.fail("the wiki server did not start")
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def browser():
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
