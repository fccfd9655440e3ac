"""The branch the wiki serves (`main`): reading where it points, moving it safely.

No Flask imports.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from ..errors import StorageError
from .parse import ZERO
from .runner import Git

log = logging.getLogger(__name__)

BRANCH = "main"
REF = f"refs/heads/{BRANCH}"
STALE_LOCK_SECONDS = 10.0


class Branch:
    """`main` of one repository."""

    def __init__(self, git_dir: Path, git: Git) -> None:
        self.git_dir = Path(git_dir)
        self.git = git
        self._reftable = (self.git_dir / "reftable").is_dir()
        self._ref_path = str(self.git_dir / REF)

    def head(self) -> str | None:
        """The commit `main` points at, or None in an empty repository.

        With the files ref backend this is one small file read (the loose ref, else
        packed-refs); a repository in git's reftable format (git 2.45 and newer) has
        no such files, and git itself is asked."""
        if self._reftable:
            return self._ask_git()
        try:
            # read on every request: os.open is a fifth of pathlib's read_text
            fd = os.open(self._ref_path, os.O_RDONLY)
            try:
                return os.read(fd, 128).decode().strip() or None
            finally:
                os.close(fd)
        except FileNotFoundError:
            pass
        except NotADirectoryError:  # `refs/heads` is a stub file: reftable
            self._reftable = True
            return self._ask_git()
        try:
            packed = (self.git_dir / "packed-refs").read_text()
        except FileNotFoundError:
            return None
        for line in packed.splitlines():
            if line.endswith(" " + REF):
                return line.split(" ", 1)[0]
        return None

    def _ask_git(self) -> str | None:
        proc = self.git.run("rev-parse", "--verify", "--quiet", REF + "^{commit}")
        return (proc.stdout.decode().strip() or None) if proc.returncode == 0 else None

    def move(self, new: str, old: str | None) -> None:
        """Point the branch at `new` if it still points at `old` (None: does not exist yet).

        :raises StorageError: (409) when it moved meanwhile.
        """
        for attempt in range(2):
            moved = self._move_here(new, old)
            if moved is None:  # reftable, or a reflog to keep: git itself does it
                proc = self.git.run("update-ref", REF, new, old or ZERO)
                moved, error = proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
            else:
                error = "the branch moved meanwhile, or its lock is held"
            if moved:
                return
            if attempt == 0 and self._clear_stale_lock():
                continue
            raise StorageError(
                "The save could not be recorded because the repository changed at the same "
                "moment. Please try again.",
                status=409,
            ) from RuntimeError(error)

    def _move_here(self, new: str, old: str | None) -> bool | None:
        """`git update-ref` without starting git (a save's last step): git's own lock file
        protocol on the loose ref, so git processes (a push) and other workers see one
        order. True when moved, False when the branch moved meanwhile (or its lock is
        held), None when git has to do it (reftable, or a reflog that must be written)."""
        if self._reftable or (self.git_dir / "logs" / REF).exists():
            return None
        ref = self.git_dir / REF
        lock = ref.with_name(ref.name + ".lock")
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        except (FileNotFoundError, NotADirectoryError):
            return None  # no refs/heads folder: an unusual layout
        try:
            with os.fdopen(fd, "w") as out:
                if self.head() != old:
                    lock.unlink()
                    return False
                out.write(new + "\n")
            os.replace(lock, ref)
            return True
        except BaseException:
            lock.unlink(missing_ok=True)
            raise

    def _clear_stale_lock(self) -> bool:
        """Remove a `main.lock` left by a crashed git process (a live one is never that old)."""
        lock = self.git_dir / (REF + ".lock")
        try:
            age = time.time() - lock.stat().st_mtime
        except FileNotFoundError:
            return False
        if age < STALE_LOCK_SECONDS:
            return False
        log.warning("removing stale lock %s (%.0f s old)", lock, age)
        lock.unlink(missing_ok=True)
        return True
