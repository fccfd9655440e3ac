"""Packing the repository in the background, so that loose objects stay bounded.

No Flask imports.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .objects import Objects
from .runner import Git
from .runner import GitFailed

log = logging.getLogger(__name__)

# Every save writes its blob, trees and commit as loose objects (about 140 KB on a large
# wiki). Every PACK_EVERY commits made here they are packed, once more than GC_AUTO loose
# objects have gathered (git's own `gc --auto` waits for about 6,700).
PACK_EVERY = 50
GC_AUTO = 1000


class Packer:
    def __init__(self, git_dir: Path, objects: Objects) -> None:
        self.git_dir = Path(git_dir)
        self.objects = objects
        self.every, self.gc_auto = PACK_EVERY, GC_AUTO
        self._since = 0
        self.thread: threading.Thread | None = None

    def commit_made(self) -> None:
        """Count a commit made here; every `every` of them, pack in the background."""
        self._since += 1
        if self._since < self.every:
            return
        if self.thread is not None and self.thread.is_alive():
            return
        self._since = 0
        self.thread = threading.Thread(target=self.pack, name="git-gc", daemon=True)
        self.thread.start()

    def pack(self) -> None:
        """Pack the loose objects once more than `gc_auto` have gathered (`git repack -d`:
        one new pack, the packed loose files removed), then let `git gc --auto` merge
        packs when there are many. Safe beside saves and pushes: nothing referenced or
        recent is pruned, and git's own lock (gc.pid) lets one gc run at a time."""
        if self.objects.loose_count() <= self.gc_auto:
            return
        packer = Git(self.git_dir, config={"gc.autoDetach": "false"})
        for args in (["repack", "-d", "-q"], ["gc", "--auto", "--quiet"]):
            try:
                packer.out(*args)
            except GitFailed as failed:
                log.warning("git %s failed: %s", args[0], failed.stderr)
                return
