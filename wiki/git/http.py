"""git's smart HTTP protocol, served by git's own `git http-backend` (a CGI program).

Only the three smart-protocol calls are passed on (`info/refs`, `git-upload-pack`,
`git-receive-pack`); the dumb protocol and other repositories are never reached.
No Flask imports: the web layer decides who may do what, this module runs git.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .runner import Git

log = logging.getLogger(__name__)
SERVICES = ("git-upload-pack", "git-receive-pack")
CHUNK = 64 * 1024
# repository settings that make the server side strict, whoever pushes
REPO_CONFIG = {
    "receive.denyNonFastForwards": "true",
    "receive.denyDeletes": "true",
    "receive.fsckObjects": "true",
    "http.receivepack": "false",  # only with an authenticated REMOTE_USER (set by the wiki)
    "core.precomposeunicode": "true",
}


class PushTooLarge(Exception):
    pass


@dataclass
class BackendResponse:
    status: int
    headers: list[tuple[str, str]]
    body: Iterator[bytes]


def configure(git_dir: Path) -> None:
    """Apply REPO_CONFIG to the repository (only what differs, so restarts are cheap)."""
    git = Git(git_dir)
    current = git.text("config", "--local", "--list").lower().splitlines()
    for key, value in REPO_CONFIG.items():
        if f"{key.lower()}={value}" not in current:
            git.out("config", key, value)


def spool(stream: BinaryIO, length: int | None, limit: int) -> BinaryIO:
    """The request body in a temporary file (git reads it as its standard input).

    :raises PushTooLarge: past `limit` bytes.
    """
    body = tempfile.TemporaryFile()
    remaining = length
    total = 0
    while remaining is None or remaining > 0:
        chunk = stream.read(CHUNK if remaining is None else min(CHUNK, remaining))
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            body.close()
            raise PushTooLarge()
        body.write(chunk)
        if remaining is not None:
            remaining -= len(chunk)
    body.seek(0)
    return body


def run_backend(
    git_dir: Path,
    *,
    method: str,
    service_path: str,
    query: str,
    body: BinaryIO,
    content_type: str,
    headers: dict[str, str],
    remote_user: str = "",
    remote_addr: str = "",
    extra_env: dict[str, str] | None = None,
) -> BackendResponse:
    """Run `git http-backend` for one request; the body streams from its output."""
    size = body.seek(0, os.SEEK_END)
    body.seek(0)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/"),
        "LC_ALL": "C",
        "GIT_PROJECT_ROOT": str(Path(git_dir).parent),
        "GIT_HTTP_EXPORT_ALL": "1",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "REQUEST_METHOD": method,
        "PATH_INFO": f"/{Path(git_dir).name}/{service_path}",
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(size),
        "REMOTE_ADDR": remote_addr,
        **({"REMOTE_USER": remote_user} if remote_user else {}),
        **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()},
        **(extra_env or {}),
    }
    # the strict settings hold for every call, whatever the repository's own configuration;
    # receive-pack is refused without http.receivepack, which only a known user gets
    settings = {**REPO_CONFIG, "http.receivepack": "true" if remote_user else "false"}
    env["GIT_CONFIG_COUNT"] = str(len(settings))
    for i, (key, value) in enumerate(settings.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    errors = tempfile.TemporaryFile()
    proc = Git.spawn(
        ["http-backend"],
        env=env,
        stdin=body,
        stdout=subprocess.PIPE,
        stderr=errors,
    )
    assert proc.stdout is not None
    status, response_headers = 200, []
    while True:
        line = proc.stdout.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        value = value.strip()
        if name.lower() == "status":
            status = int(value.split()[0])
        else:
            response_headers.append((name.strip(), value))

    def stream() -> Iterator[bytes]:
        try:
            while chunk := proc.stdout.read1(CHUNK):
                yield chunk
        finally:
            proc.stdout.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.returncode:
                errors.seek(0)
                log.warning(
                    "git http-backend exited with %s: %s",
                    proc.returncode,
                    errors.read(4000).decode("utf-8", "replace").strip(),
                )
            errors.close()
            body.close()

    return BackendResponse(status, response_headers, stream())
