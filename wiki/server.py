"""`wiki serve` in production: gunicorn with threaded workers that do not wait forever
for slow clients.

gunicorn's `gthread` worker hands each connection to a thread that reads the request
with a blocking socket: a client that sends part of a request head and then stalls
(slowloris) would hold that thread for good. Here every connection's socket is a
`DeadlineSocket`: while the head is read it has `head_timeout` seconds in all, after
which the connection counts as closed by the client. Reading the body is bounded the
same way by wiki/clienttimeout.py, which answers 408. No Flask imports.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

DEFAULT_READ_TIMEOUT = 30


class DeadlineSocket(socket.socket):
    """A client socket whose reads end at `read_deadline` (a time.monotonic() value).

    Past it, `recv` returns b"" (the client counts as gone) when `deadline_raises` is
    false, and raises TimeoutError otherwise; `timed_out` remembers that it happened.
    Without a deadline it behaves as a plain socket.
    """

    read_deadline: float | None = None
    deadline_raises: bool = False
    timed_out: bool = False

    @classmethod
    def wrap(cls, sock: socket.socket) -> DeadlineSocket:
        timeout = sock.gettimeout()
        wrapped = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        wrapped.settimeout(timeout)
        return wrapped

    def recv(self, size: int, flags: int = 0) -> bytes:
        deadline = self.read_deadline
        if deadline is None:
            return super().recv(size, flags)
        previous = self.gettimeout()
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError("timed out")
            # the whole read, over however many recv() calls, ends at the deadline:
            # a client sending one byte now and then gets no more time
            self.settimeout(remaining)
            return super().recv(size, flags)
        except TimeoutError:
            self.timed_out = True
            if self.deadline_raises:
                raise
            return b""
        finally:
            self.settimeout(previous)


class Worker(ThreadWorker):
    """gunicorn's gthread worker, with a deadline for reading each request head."""

    def init_process(self) -> None:
        _few_malloc_arenas()
        super().init_process()

    def head_timeout(self) -> float:
        config = getattr(self.wsgi, "config", None) or {}
        return float(config.get("BODY_READ_TIMEOUT") or DEFAULT_READ_TIMEOUT)

    def handle(self, conn):
        if not isinstance(conn.sock, DeadlineSocket) and not conn.initialized:
            conn.sock = DeadlineSocket.wrap(conn.sock)
        sock = conn.sock
        if isinstance(sock, DeadlineSocket):
            # counted from when the thread takes the connection: gunicorn first waits
            # (a few seconds, without a thread) for the first bytes to arrive
            sock.read_deadline = time.monotonic() + self.head_timeout()
            sock.deadline_raises = False
        try:
            return super().handle(conn)
        finally:
            if isinstance(sock, DeadlineSocket):
                sock.read_deadline = None

    def handle_request(self, req, conn):
        if isinstance(conn.sock, DeadlineSocket):
            conn.sock.read_deadline = None  # the head is in; the body has its own deadline
        return super().handle_request(req, conn)


def run(
    load: Callable[[], Any],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    post_worker_init: Callable[[Any], None] | None = None,
    worker_exit: Callable[[Any], None] | None = None,
) -> None:
    """Serve the WSGI app that `load()` makes (once per worker process) with gunicorn."""

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "wiki.server.Worker")
            self.cfg.set("accesslog", "-")
            # how long a worker may miss its heartbeat before the master restarts it; a
            # thread of a gthread worker may serve a long clone meanwhile (the heartbeat
            # comes from the worker's main loop, not from the request), so this is not a
            # limit on requests: git calls have GIT_FETCH_TIMEOUT and GIT_PUSH_TIMEOUT
            self.cfg.set("timeout", 60)
            if post_worker_init is not None:
                self.cfg.set("post_worker_init", post_worker_init)
            if worker_exit is not None:
                self.cfg.set("worker_exit", lambda server, worker: worker_exit(worker))

        def load(self):
            return load()

    Server().run()


def _few_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own malloc arena (up to 8 per core), and
    freed memory in one arena does not serve another: a worker of 8 threads grew to about
    three times the memory it uses. Two arenas keep it near what it holds (measured in
    bench/README.md). Nothing happens where the C library is not glibc."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass
