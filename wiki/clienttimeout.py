"""A deadline for reading request bodies: a client that stalls gets 408, not a thread.

WSGI middleware. Under `wiki serve` (wiki/server.py) the connection's socket takes a
deadline: every piece of the body (at most CHUNK bytes) must arrive within `timeout`
seconds, so a client that sends a Content-Length and then stops, or sends a byte now
and then, is answered 408 and disconnected. Elsewhere (the test client, the debug
server) the body is passed through unchanged. No Flask imports.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import RequestTimeout

CHUNK = 64 * 1024


class BodyReadTimeout(RequestTimeout):
    """The client did not send its request body in time (408)."""

    def __init__(self, timeout: float) -> None:
        super().__init__(
            f"The request did not arrive in time: the server waited {timeout:g} seconds "
            "for more of it. The connection may be slow or have stalled; please try again."
        )


class DeadlineInput:
    """wsgi.input whose reads end with BodyReadTimeout when a chunk does not arrive in
    time (`sock` is the connection's wiki.server.DeadlineSocket)."""

    def __init__(self, stream: Any, sock: Any, timeout: float) -> None:
        self.stream, self.sock, self.timeout = stream, sock, timeout

    def _bounded(self, read: Callable[[int], bytes], size: int) -> bytes:
        self.sock.read_deadline = time.monotonic() + self.timeout
        self.sock.deadline_raises = True
        try:
            return read(size)
        except TimeoutError:
            raise BodyReadTimeout(self.timeout) from None
        finally:
            self.sock.read_deadline = None
            self.sock.deadline_raises = False

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and 0 <= size <= CHUNK:
            return self._bounded(self.stream.read, size)
        parts = []
        while size is None or size < 0 or size > 0:
            want = CHUNK if size is None or size < 0 else min(CHUNK, size)
            part = self._bounded(self.stream.read, want)
            if not part:
                break
            parts.append(part)
            if size is not None and size >= 0:
                size -= len(part)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        if size is not None and 0 <= size <= CHUNK:
            return self._bounded(self.stream.readline, size)
        parts: list[bytes] = []
        while size is None or size < 0 or size > 0:
            want = CHUNK if size is None or size < 0 else min(CHUNK, size)
            part = self._bounded(self.stream.readline, want)
            parts.append(part)
            if not part or part.endswith(b"\n"):
                break
            if size is not None and size >= 0:
                size -= len(part)
        return b"".join(parts)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")


class ClientTimeout:
    """WSGI middleware: request bodies are read with a deadline of `timeout` seconds
    per chunk (see the module docstring)."""

    def __init__(self, app: Callable, timeout: float) -> None:
        self.app, self.timeout = app, timeout

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        sock = environ.get("gunicorn.socket")
        if not (hasattr(sock, "read_deadline") and "wsgi.input" in environ):
            return self.app(environ, start_response)
        environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], sock, self.timeout)
        sock.timed_out = False

        def respond(status, headers, exc_info=None):
            if sock.timed_out:
                # the rest of the body may still come: it must not be read as the next
                # request, so the connection ends after this answer (gunicorn ignores a
                # Connection header from the app; a socket closed for reading is seen
                # as closed by the client once the answer is written)
                try:
                    sock.shutdown(socket.SHUT_RD)
                except OSError:
                    pass
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, respond)
        except BodyReadTimeout as timeout:  # the app let it through: answer it here
            return timeout(environ, respond)
