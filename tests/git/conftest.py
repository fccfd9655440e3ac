"""A wiki served by gunicorn on 127.0.0.1, and real git clients talking to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PASSWORD = "git-test-password"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """The running wiki: its base URL, instance folder, and helpers for its CLI."""

    def __init__(self, base: str, env: dict[str, str], tmp: Path) -> None:
        self.base, self.env, self.tmp = base, env, tmp
        self.tokens: dict[str, str] = {}

    def cli(self, *args: str, input: str | None = None) -> str:
        proc = subprocess.run([sys.executable, "-m", "wiki", *args], env=self.env, input=input,
                              text=True, capture_output=True)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        return proc.stdout

    def url(self, user: str | None = None, secret: str | None = None) -> str:
        host = self.base.split("//", 1)[1]
        auth = f"{user}:{secret or self.tokens.get(user) or PASSWORD}@" if user else ""
        return f"http://{auth}{host}/-/git/content.git"


def git(*args: str, cwd: Path | None = None, check: bool = True,
        env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false",
             "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd or Path.cwd()), **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def start(tmp: Path, extra_env: dict[str, str] | None = None):
    env = {
        **os.environ,
        "WIKI_INSTANCE": str(tmp / "instance"),
        "WIKI_SEARCH_INDEX_DIR": str(tmp / "index"),
        "WIKI_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        **(extra_env or {}),
    }
    served = Served("", env, tmp)
    served.cli("init")
    for user, role, name in (("ada", "admin", "Ada Admin"), ("maria", "editor", "Maria Rossi"),
                             ("gus", "reader", "Gus Kovács")):
        served.cli("user", "add", user, "--role", role, "--display-name", name,
                   "--email", f"{user}@example.org", "--password-stdin", input=PASSWORD + "\n")
    served.cli("space", "add", "WG4", "maria")
    served.cli("space", "add", "WG2", "gus")
    port = _free_port()
    with open(tmp / "server.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "wiki", "serve", "--port", str(port), "--workers", "2"],
            env=env, stdout=subprocess.DEVNULL, stderr=log,
        )
    served.base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 20
    while True:
        try:
            with urllib.request.urlopen(served.base + "/-/health", timeout=1):
                break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("the wiki server did not start: " +
                            (tmp / "server.log").read_text()[-2000:])
            time.sleep(0.1)
    return served, proc


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("served")
    served, proc = start(tmp)
    yield served
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def clone(served, tmp_path):
    """A fresh clone by Maria (editor, member of WG4) with her name as committer."""
    def make(user="maria", name="Maria Rossi"):
        target = tmp_path / f"clone-{user}"
        git("clone", served.url(user), str(target), cwd=tmp_path)
        git("config", "user.name", name, cwd=target)
        git("config", "user.email", f"{user}@example.org", cwd=target)
        return target
    return make
