"""Eight people save the same page through the real edit form at once: every save the wiki
answered as saved is in the final text (gunicorn, 2 workers, on 127.0.0.1)."""

from __future__ import annotations

import html
import http.client
import re
import threading
import urllib.parse

import pytest

from tests.served import PASSWORD

pytestmark = pytest.mark.slow

PEOPLE = 8
SAVES = 10
ROUNDS = 3


class Browser:
    """A person's browser: one session cookie, no redirects followed."""

    def __init__(self, base: str) -> None:
        self.host = urllib.parse.urlsplit(base).netloc
        self.cookie = ""

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection(self.host, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, urllib.parse.quote(path), body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        conn.close()
        return response.status, data

    def login(self, username: str) -> None:
        _, page = self.request("GET", "/-/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST", "/-/login", {"username": username, "password": PASSWORD, "csrf_token": csrf}
        )
        assert status == 302, username


def edit_form(page: str) -> tuple[str, str, str]:
    text = re.search(r'<textarea id="content" name="content"[^>]*>(.*?)</textarea>', page, re.S)
    base = re.search(r'name="base_revision" value="([0-9a-f]*)"', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return html.unescape(text.group(1)), base, csrf


def add_line(text: str, person: int, line: str) -> str:
    """The line goes at the end of the person's own section."""
    marker = f"## Part {person}\n"
    head, _, rest = text.partition(marker)
    section, nxt, tail = rest.partition("\n## Part ")
    return (
        head
        + marker
        + section.rstrip("\n")
        + f"\n{line}\n"
        + ("\n" + nxt.lstrip("\n") + tail if nxt else "")
    )


@pytest.fixture(scope="module")
def crowd(served):
    for i in range(PEOPLE):
        served.cli(
            "user",
            "add",
            f"crowd{i}",
            "--role",
            "editor",
            "--email",
            f"crowd{i}@example.org",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
    return served


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_no_accepted_save_is_lost(crowd, round_):
    name = f"Public/Crowd {round_}"
    writer = Browser(crowd.base)
    writer.login("ada")
    _, page = writer.request("GET", f"/-/edit/{name}")
    _, base, csrf = edit_form(page)
    start = "# Crowd\n\n" + "".join(f"## Part {i}\n\nPart {i} begins.\n\n" for i in range(PEOPLE))
    status, _ = writer.request(
        "POST", f"/-/edit/{name}", {"content": start, "base_revision": base, "csrf_token": csrf}
    )
    assert status == 302
    accepted: list[str] = []
    problems: list[str] = []
    lock = threading.Lock()

    def person(i: int) -> None:
        browser = Browser(crowd.base)
        browser.login(f"crowd{i}")
        for k in range(SAVES):
            line = f"Line {k} by person {i} in round {round_}."
            for _attempt in range(30):
                status, page = browser.request("GET", f"/-/edit/{name}")
                text, base, csrf = edit_form(page)
                status, _ = browser.request(
                    "POST",
                    f"/-/edit/{name}",
                    {
                        "content": add_line(text, i, line),
                        "base_revision": base,
                        "csrf_token": csrf,
                        "message": line,
                    },
                )
                if status == 302:
                    with lock:
                        accepted.append(line)
                    break
                if status != 409:
                    with lock:
                        problems.append(f"{line}: HTTP {status}")
                    return

    threads = [threading.Thread(target=person, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    assert not problems
    assert len(accepted) == PEOPLE * SAVES
    _, final = writer.request("GET", f"/-/raw/{name}")
    missing = [line for line in accepted if line not in final]
    assert not missing, f"{len(missing)} saved lines are missing: {missing[:5]}"
