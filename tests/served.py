"""A real wiki for the browser and git tests: `wiki init`, three accounts, and
`wiki serve` (gunicorn, 2 workers of 8 threads) on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PASSWORD = "served-test-password"
USERS = (
    ("ada", "admin", "Ada Admin"),
    ("maria", "editor", "Maria Rossi"),
    ("gus", "reader", "Gus Kovács"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """The running wiki: its base URL, instance folder, and its command line."""

    def __init__(self, base: str, env: dict[str, str], tmp: Path) -> None:
        self.base, self.env, self.tmp = base, env, tmp
        self.tokens: dict[str, str] = {}
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str, input: str | None = None) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "wiki", *args],
            env=self.env,
            input=input,
            text=True,
            capture_output=True,
        )
        assert proc.returncode == 0, proc.stderr + proc.stdout
        return proc.stdout

    def url(self, user: str | None = None, secret: str | None = None) -> str:
        """The repository's URL, with a user's credentials (a token if they have one)."""
        host = self.base.split("//", 1)[1]
        auth = f"{user}:{secret or self.tokens.get(user) or PASSWORD}@" if user else ""
        return f"http://{auth}{host}/-/git/content.git"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


def serve(
    tmp: Path,
    memberships: dict[str, str],
    *,
    env: dict[str, str] | None = None,
    serve_args: tuple[str, ...] = ("--workers", "2"),
) -> Served:
    """Set up an instance in `tmp` (accounts of USERS; `memberships` user -> space) and
    serve it (`env`: more environment, e.g. WIKI_* settings); stop it with `.stop()`."""
    env = {
        **os.environ,
        "WIKI_INSTANCE": str(tmp / "instance"),
        "WIKI_SEARCH_INDEX_DIR": str(tmp / "index"),
        "WIKI_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **(env or {}),
    }
    served = Served("", env, tmp)
    served.cli("init")
    for user, role, name in USERS:
        served.cli(
            "user",
            "add",
            user,
            "--role",
            role,
            "--display-name",
            name,
            "--email",
            f"{user}@example.org",
            "--password-stdin",
            input=PASSWORD + "\n",
        )
    for user, space in memberships.items():
        served.cli("space", "add", space, user)
    port = free_port()
    with open(tmp / "server.log", "wb") as log:
        served.proc = subprocess.Popen(
            [sys.executable, "-m", "wiki", "serve", "--port", str(port), *serve_args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    served.base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            with urllib.request.urlopen(served.base + "/-/health", timeout=1):
                return served
        except OSError:
            if time.time() > deadline or served.proc.poll() is not None:
                served.proc.kill()
                pytest.fail(
                    "the wiki server did not start: " + (tmp / "server.log").read_text()[-2000:]
                )
            time.sleep(0.1)
