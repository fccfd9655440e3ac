"""git's object database, read and written in-process.

Objects are read through GitPython's object database (its persistent `cat-file`
helpers) and written by gitdb's loose object store (GitPython's own `store`
runs `git hash-object`, one process per object). Trees are parsed and written
here: a save in a 5,000-page folder rewrites a tree of 5,000 entries, and
GitPython's `tree_entries_from_data`/`tree_to_stream` take 3 and 20 times as
long (measured). Parsed trees are kept by their sha (they never change), so
the next save in the same folder starts from the tree the last one wrote. No
Flask imports.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import datetime
from io import BytesIO
from pathlib import Path

import git
from gitdb.base import IStream
from gitdb.db.loose import LooseObjectDB

from ..model import Author
from .parse import parse_tree

BLOB_MODE = 0o100644
TREE_MODE = 0o40000
TREES_KEPT = 256

Entries = dict[bytes, tuple[int, bytes]]  # name -> (mode, binary sha)


class Objects:
    """Reading and writing blobs, trees and commits of one repository."""

    def __init__(self, repo: git.Repo, lock: threading.RLock) -> None:
        self.repo = repo
        self.git_dir = Path(repo.git_dir)
        self._lock = lock  # GitPython's helpers are not thread-safe: the storage's lock
        self._loose = LooseObjectDB(str(self.git_dir / "objects"))
        self._trees: OrderedDict[bytes, Entries] = OrderedDict()

    def read(self, binsha: bytes) -> bytes:
        with self._lock:
            return self.repo.odb.stream(binsha).read()

    def text(self, binsha: bytes) -> str:
        return self.read(binsha).decode("utf-8", "replace")

    def store(self, kind: bytes, data: bytes) -> bytes:
        """Write an object (loose); returns its binary sha."""
        with self._lock:
            return self._loose.store(IStream(kind, len(data), BytesIO(data))).binsha

    def is_commit(self, sha: str) -> bool:
        with self._lock:
            try:
                return self.repo.odb.info(bytes.fromhex(sha)).type == b"commit"
            except Exception:  # malformed, unknown (gitdb and GitPython raise their own)
                return False

    def loose_count(self) -> int:
        objects, count = self.git_dir / "objects", 0
        for prefix in range(256):
            try:
                count += len(os.listdir(objects / f"{prefix:02x}"))
            except FileNotFoundError:
                pass
        return count

    # -- trees -----------------------------------------------------------------------

    def tree(self, sha: bytes | None) -> Entries:
        """The entries of a tree object, shared: never to be changed."""
        if sha is None:
            return {}
        with self._lock:
            cached = self._trees.get(sha)
            if cached is not None:
                self._trees.move_to_end(sha)
                return cached
        entries = parse_tree(self.read(sha))
        self._keep(sha, entries)
        return entries

    def _keep(self, sha: bytes, entries: Entries) -> None:
        with self._lock:
            self._trees[sha] = entries
            while len(self._trees) > TREES_KEPT:
                self._trees.popitem(last=False)

    def commit_tree(self, commit: str) -> bytes:
        data = self.read(bytes.fromhex(commit))
        return bytes.fromhex(data[5:45].decode())  # "tree <sha>\n..."

    def blob(self, commit: str | None, path: str) -> bytes | None:
        """The blob at `path` in a commit (None: no such file)."""
        if commit is None:
            return None
        tree: bytes | None = self.commit_tree(commit)
        parts = path.encode("utf-8").split(b"/")
        for i, part in enumerate(parts):
            entry = self.tree(tree).get(part)
            if entry is None:
                return None
            mode, sha = entry
            if i == len(parts) - 1:
                return sha if mode >> 12 == 8 else None
            if mode != TREE_MODE:
                return None
            tree = sha
        return None

    def text_at(self, commit: str | None, path: str) -> str | None:
        sha = self.blob(commit, path)
        return None if sha is None else self.text(sha)

    def edit_tree(
        self, tree: bytes | None, changes: dict[bytes, tuple[int, bytes] | None]
    ) -> bytes | None:
        """A tree with paths (b"a/b.md") set to (mode, sha) or removed (None); None when
        nothing is left. Only the folders on the changed paths are written again."""
        entries = dict(self.tree(tree))
        nested: dict[bytes, dict[bytes, tuple[int, bytes] | None]] = {}
        for path, value in changes.items():
            first, slash, rest = path.partition(b"/")
            if slash:
                nested.setdefault(first, {})[rest] = value
            elif value is None:
                entries.pop(first, None)
            else:
                entries[first] = value
        for folder, sub in nested.items():
            existing = entries.get(folder)
            subtree = existing[1] if existing and existing[0] == TREE_MODE else None
            new = self.edit_tree(subtree, sub)
            if new is None:
                entries.pop(folder, None)
            else:
                entries[folder] = (TREE_MODE, new)
        if not entries:
            return None
        # git orders tree entries by name, comparing folders as if they ended in "/"
        ordered = sorted(
            entries.items(), key=lambda e: e[0] + (b"/" if e[1][0] == TREE_MODE else b"")
        )
        sha = self.store(
            b"tree", b"".join(b"%o %s\0%s" % (mode, name, sha) for name, (mode, sha) in ordered)
        )
        self._keep(sha, entries)  # the next save in this folder starts from it
        return sha

    def empty_tree(self) -> bytes:
        return self.store(b"tree", b"")

    def write_commit(
        self, tree: bytes, parents: list[str], *, author: Author, date: datetime, message: str
    ) -> str:
        """Write a commit object (author and committer alike); returns its sha."""
        ident = f"{author.name} <{author.email}> {int(date.timestamp())} +0000"
        lines = [
            f"tree {tree.hex()}",
            *(f"parent {p}" for p in parents),
            f"author {ident}",
            f"committer {ident}",
            "",
            message,
        ]
        return self.store(b"commit", "\n".join(lines).encode("utf-8")).hex()
