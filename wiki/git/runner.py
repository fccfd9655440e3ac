"""The one place git runs: the environment it gets, how it is started, how it fails.

Arguments are built by the wiki's own code; a user's input reaches them only as a
checked revision (`storage.validate_revision`) or a checked path, and always after
the options. No Flask imports.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class GitFailed(Exception):
    """git exited with an error. `stderr` is git's own words: for the log, not for users
    (they name paths and objects)."""

    def __init__(self, args: tuple[str, ...], returncode: int, stderr: str) -> None:
        super().__init__(f"git {args[0] if args else ''} exited with {returncode}")
        self.git_args = args
        self.returncode = returncode
        self.stderr = stderr


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """git's environment: ours, never prompting, in the C locale (output we can parse),
    with a committer for the commits git itself makes (merges of the mirror, gc)."""
    env = dict(os.environ)
    env.setdefault("GIT_COMMITTER_NAME", "Wiki")
    env.setdefault("GIT_COMMITTER_EMAIL", "wiki@localhost")
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    if extra:
        env.update(extra)
    return env


class Git:
    """git commands in one repository (or, without `git_dir`, in the one git's own
    environment names: a hook runs so, its quarantined objects included)."""

    def __init__(
        self, git_dir: Path | str | None = None, *, config: Mapping[str, str] | None = None
    ) -> None:
        self.git_dir = Path(git_dir) if git_dir is not None else None
        self.prefix = ["git"]
        for key, value in (config or {}).items():
            self.prefix += ["-c", f"{key}={value}"]
        if self.git_dir is not None:
            self.prefix += ["--git-dir", str(self.git_dir)]

    def run(
        self,
        *args: str,
        input: bytes | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess:
        """Run git and return the finished process, whatever its exit status."""
        return subprocess.run(
            [*self.prefix, *args],
            input=input,
            capture_output=True,
            timeout=timeout,
            env=environment(env),
        )

    def out(
        self,
        *args: str,
        input: bytes | None = None,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        """git's standard output. :raises GitFailed: when it exits with an error."""
        proc = self.run(*args, input=input, timeout=timeout, env=env)
        if proc.returncode != 0:
            raise GitFailed(
                args, proc.returncode, proc.stderr.decode("utf-8", "replace").strip()[:4000]
            )
        return proc.stdout

    def text(self, *args: str, input: bytes | None = None) -> str:
        return self.out(*args, input=input).decode("utf-8", "replace")

    def ok(self, *args: str) -> bool:
        """Whether git exits with success (for questions such as `merge-base --is-ancestor`)."""
        return self.run(*args).returncode == 0

    @contextmanager
    def stream(self, *args: str) -> Iterator[IO[bytes]]:
        """git's standard output as it comes (for long listings such as `git log`)."""
        with subprocess.Popen(
            [*self.prefix, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment(),
        ) as proc:
            assert proc.stdout is not None
            yield proc.stdout

    @staticmethod
    def spawn(args: list[str], *, env: Mapping[str, str], **popen) -> subprocess.Popen:
        """Start a git program with exactly `env` (a CGI program such as `git http-backend`
        gets the request's environment, not ours)."""
        return subprocess.Popen(["git", *args], env=dict(env), **popen)
