"""git's object database, read and written in-process.

Objects are read through GitPython's object database (its persistent `cat-file`
helpers) and written here as loose objects, in git's own format (zlib of
"<type> <size>\\0<data>", named by its SHA-1, written to a temporary file and
renamed into place): GitPython's `store` runs `git hash-object`, a process per
object, and gitdb's store compresses at its level whatever the size. Large
objects (the tree of a 5,000-page folder is about 330 KB of mostly random sha
bytes) are stored without compression: they are repacked soon (packing.py).

Trees are parsed and written here too: GitPython's `tree_entries_from_data` and
`tree_to_stream` take 3 and 20 times as long (measured). Parsed trees are kept
by their sha (they never change) with their raw bytes, so the next save in the
same folder starts from the tree the last one wrote, and a save that changes
entries without adding or removing any patches the 20 bytes of each changed sha
in place instead of sorting and writing 5,000 entries again. No Flask imports.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import zlib
from collections import OrderedDict
from datetime import datetime
from pathlib import Path

import git

from ..model import Author
from .parse import parse_tree

BLOB_MODE = 0o100644
TREE_MODE = 0o40000
TREES_KEPT = 256
TREE_BYTES_KEPT = 8 << 20  # raw bytes of the kept trees (their entries take about twice)
STORED_AS_IS = 64 << 10  # objects larger than this are written without compression

Entries = dict[bytes, tuple[int, bytes]]  # name -> (mode, binary sha)


class Objects:
    """Reading and writing blobs, trees and commits of one repository."""

    def __init__(self, repo: git.Repo, lock: threading.RLock) -> None:
        self.repo = repo
        self.git_dir = Path(repo.git_dir)
        self._lock = lock  # GitPython's helpers are not thread-safe: the storage's lock
        self._objects = self.git_dir / "objects"
        # tree sha -> (entries, raw data): trees never change
        self._trees: OrderedDict[bytes, tuple[Entries, bytes]] = OrderedDict()
        self._tree_bytes = 0

    def read(self, binsha: bytes) -> bytes:
        with self._lock:
            return self.repo.odb.stream(binsha).read()

    def text(self, binsha: bytes) -> str:
        return self.read(binsha).decode("utf-8", "replace")

    def store(self, kind: bytes, data: bytes) -> bytes:
        """Write an object (loose, unless git has it already); returns its binary sha."""
        raw = b"%s %d\0%s" % (kind, len(data), data)
        sha = hashlib.sha1(raw).digest()
        hexsha = sha.hex()
        folder = self._objects / hexsha[:2]
        path = folder / hexsha[2:]
        if path.exists():
            return sha
        folder.mkdir(exist_ok=True)
        level = 0 if len(raw) > STORED_AS_IS else 1
        fd, tmp = tempfile.mkstemp(prefix="tmp_obj_", dir=folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(zlib.compress(raw, level))
            os.chmod(tmp, 0o444)
            os.replace(tmp, path)  # the same bytes whoever wins: a race is harmless
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def size(self, sha: str) -> int:
        """The size in bytes of an object (a file's blob)."""
        with self._lock:
            return self.repo.odb.info(bytes.fromhex(sha)).size

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
        return self._tree(sha)[0]

    def _tree(self, sha: bytes | None) -> tuple[Entries, bytes]:
        if sha is None:
            return {}, b""
        with self._lock:
            cached = self._trees.get(sha)
            if cached is not None:
                self._trees.move_to_end(sha)
                return cached
        data = self.read(sha)
        entries = parse_tree(data)
        self._keep(sha, entries, data)
        return entries, data

    def _keep(self, sha: bytes, entries: Entries, data: bytes) -> None:
        with self._lock:
            if sha in self._trees:
                return
            self._trees[sha] = (entries, data)
            self._tree_bytes += len(data)
            while len(self._trees) > TREES_KEPT or (
                self._tree_bytes > TREE_BYTES_KEPT and len(self._trees) > 1
            ):
                _old, (_entries, dropped) = self._trees.popitem(last=False)
                self._tree_bytes -= len(dropped)

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
        old_entries, old_data = self._tree(tree)
        entries = dict(old_entries)
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
        data = _patched(old_entries, old_data, entries, {p.partition(b"/")[0] for p in changes})
        if data is None:
            # git orders tree entries by name, comparing folders as if they ended in "/"
            ordered = sorted(
                entries.items(), key=lambda e: e[0] + (b"/" if e[1][0] == TREE_MODE else b"")
            )
            data = b"".join(b"%o %s\0%s" % (mode, name, sha) for name, (mode, sha) in ordered)
        sha = self.store(b"tree", data)
        self._keep(sha, entries, data)  # the next save in this folder starts from it
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


def _patched(old: Entries, data: bytes, new: Entries, touched: set[bytes]) -> bytes | None:
    """The raw tree `new` made from `old`'s raw bytes by replacing shas in place, when the
    names `touched` (the only ones that may differ) kept their modes and none came or
    went (None otherwise: the tree is written anew)."""
    if not data or len(old) != len(new) or len(touched) > 8:
        return None
    out = bytearray(data)
    for name in touched:
        before, after = old.get(name), new.get(name)
        if before is None or after is None or before[0] != after[0]:
            return None
        if before == after:
            continue
        mode, sha = after
        # the entry is "<mode> <name>\0<20-byte sha>": found by its name and old sha
        needle = b"%o %s\0%s" % (mode, name, before[1])
        at = data.find(needle)
        if at < 0 or data.find(needle, at + 1) >= 0:
            return None
        start = at + len(needle) - 20
        out[start : start + 20] = sha
    return bytes(out)
