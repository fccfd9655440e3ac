"""A wiki served by gunicorn on 127.0.0.1, and real git clients talking to it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.served import serve


def git(
    *args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None
) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "/bin/false",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(cwd or Path.cwd()),
            **(env or {}),
        },
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    # the starter wiki; Maria (editor) is a member of WG4, Gus (reader) of WG2
    served = serve(tmp_path_factory.mktemp("served"), {"maria": "WG4", "gus": "WG2"})
    yield served
    served.stop()


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
