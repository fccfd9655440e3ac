"""The one lock helper: exclusive across the threads of a process and across processes.

No Flask imports. A thread lock (when given) orders the threads of this
process; an advisory lock on a file (`flock`) orders the processes, and the
kernel releases it when a process dies, so a crash leaves nothing to clean up.
"""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(
    path: Path,
    thread_lock: threading.Lock | threading.RLock | None = None,
    *,
    wait: float | None = None,
) -> Iterator[bool]:
    """Hold the lock of file `path` (and `thread_lock`); yields whether it is held.

    `wait` None waits as long as it takes; 0 tries once; otherwise at most `wait`
    seconds (polling the file lock every 5 ms, so that the next holder starts the
    moment the previous one is done).
    """
    if thread_lock is not None:
        if not (thread_lock.acquire() if wait is None else thread_lock.acquire(timeout=wait)):
            yield False
            return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as handle:
            if not _flock(handle, wait):
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        if thread_lock is not None:
            thread_lock.release()


def _flock(handle, wait: float | None) -> bool:
    if wait is None:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return True
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
