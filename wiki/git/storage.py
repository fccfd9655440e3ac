"""The git repository holding the page files.

Knows paths, text and commits; nothing about HTTP, users or Markdown, and it
imports nothing from Flask. Commits are made with git plumbing (objects
written by GitPython's object database, the branch moved with
`git update-ref NEW OLD`, an atomic compare-and-swap), never through a work
tree or the index, so a crashed writer cannot leave an `index.lock` behind and
many processes can share the repository. Writes are serialized by a thread lock
plus an advisory file lock (released by the kernel if a process dies).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from io import BytesIO
from pathlib import Path

import git
from gitdb.base import IStream
from gitdb.db.loose import LooseObjectDB

from ..errors import EditConflict
from ..errors import InvalidRevision
from ..errors import PageNotFound
from ..errors import StorageError
from ..locks import exclusive
from ..model import Author
from ..model import Change
from ..model import Revision
from .parse import parse_raw_diff
from .revindex import RevIndex

log = logging.getLogger(__name__)

BRANCH = "main"
REF = f"refs/heads/{BRANCH}"
ZERO = "0" * 40
BLOB_MODE = 0o100644
TREE_MODE = 0o40000
STALE_LOCK_SECONDS = 10.0
# Every save writes its blob, trees and commit as loose objects (about 140 KB on a large
# wiki). Every PACK_EVERY commits made here they are packed, once more than GC_AUTO loose
# objects have gathered (git's own `gc --auto` waits for about 6,700).
PACK_EVERY = 50
MADE_KEPT = 64  # commits made here whose changed paths are remembered
GC_AUTO = 1000
_REV_RE = re.compile(r"^(?:[0-9a-f]{4,40}|HEAD)$")


def validate_revision(rev: str | None) -> str:
    """Allow only hex object names or HEAD: revisions reach git as arguments.

    :raises InvalidRevision: for anything else.
    """
    if not rev or not isinstance(rev, str) or not _REV_RE.match(rev.strip()):
        raise InvalidRevision("That is not a valid revision id.")
    return rev.strip()


def _check_path(path: str) -> str:
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or "\x00" in path
        or any(p in ("", ".", "..") or p.casefold().startswith(".git") for p in path.split("/"))
    ):
        raise StorageError("Refused a path outside the content repository.")
    return path


class Storage:
    """A bare git repository of Markdown files, one commit per change."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            self.repo = git.Repo(self.root)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise StorageError(
                f"No content repository at {self.root}: run 'wiki init' first."
            ) from exc
        self.git_dir = Path(self.repo.git_dir)
        self._reftable = (self.git_dir / "reftable").is_dir()
        self.pack_every, self.gc_auto = PACK_EVERY, GC_AUTO
        self._commits_since_pack = 0
        # commits made here: sha -> (parent, paths changed), the newest MADE_KEPT
        self._made: OrderedDict[str, tuple[str, tuple[str, ...]]] = OrderedDict()
        self._packer: threading.Thread | None = None
        self._lock = threading.RLock()
        self._lock_path = self.git_dir / "wiki-write.lock"
        self._tree_cache: tuple[str | None, dict[str, str]] = ("", {})
        self._trees: OrderedDict[bytes, dict[bytes, tuple[int, bytes]]] = OrderedDict()
        self._loose = LooseObjectDB(str(self.git_dir / "objects"))
        cache_dir = self.git_dir / "wiki"
        cache_dir.mkdir(exist_ok=True)
        self.revindex = RevIndex(cache_dir / "revindex.sqlite", self._log_changes)

    # -- set-up ------------------------------------------------------------------

    @classmethod
    def init(cls, root: Path) -> Storage:
        """Create an empty bare repository whose branch is `main`."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        git.Repo.init(root, bare=True, initial_branch=BRANCH)
        return cls(root)

    def close(self) -> None:
        """Stop the git helper processes GitPython keeps for this repository."""
        with self._lock:
            self.repo.close()
            self.revindex.close()

    def import_files(self, files: dict[str, bytes], *, author: Author, message: str) -> Revision:
        """Commit a set of files (path -> bytes) in a single commit."""
        changes = {}
        for path, data in files.items():
            changes[_check_path(path)] = (BLOB_MODE, self._store(b"blob", data))
        with self._write_lock():
            head = self.head()
            return self._commit(head, changes, author=author, message=message)

    # -- reading -----------------------------------------------------------------

    def head(self) -> str | None:
        """The commit `main` points at, or None in an empty repository.

        With the files ref backend this is one small file read (the loose ref, else
        packed-refs); a repository in git's reftable format (git 2.45 and newer) has
        no such files, and git itself is asked."""
        if self._reftable:
            return self._rev_parse_head()
        try:
            return (self.git_dir / REF).read_text().strip() or None
        except FileNotFoundError:
            pass
        except NotADirectoryError:  # `refs/heads` is a stub file: reftable
            self._reftable = True
            return self._rev_parse_head()
        try:
            packed = (self.git_dir / "packed-refs").read_text()
        except FileNotFoundError:
            return None
        for line in packed.splitlines():
            if line.endswith(" " + REF):
                return line.split(" ", 1)[0]
        return None

    def _rev_parse_head(self) -> str | None:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "rev-parse", "--verify", "--quiet",
             REF + "^{commit}"],
            capture_output=True, env=_git_env(),
        )
        if proc.returncode != 0:
            return None
        return proc.stdout.decode().strip() or None

    def files(self) -> dict[str, str]:
        """Every file at HEAD: path -> blob sha (cached; updated incrementally as HEAD moves)."""
        return self.files_at(self.head())

    def files_at(self, commit: str | None) -> dict[str, str]:
        """Every file of a commit (a value `main` had: HEAD now or a moment ago): path -> blob
        sha. Callers that read several things read HEAD once and pass it here, so that
        everything they hand out comes from one snapshot."""
        cached_head, cached = self._tree_cache
        if cached_head == commit:
            return cached
        result: dict[str, str] | None = None
        if cached_head and commit:
            result = self._patched_files(cached_head, commit, cached)
        if result is None:
            result = self._all_files(commit)
        with self._lock:
            self._tree_cache = (commit, result)
        return result

    def _all_files(self, head: str | None) -> dict[str, str]:
        result: dict[str, str] = {}
        if head is not None:
            out = self._git("ls-tree", "-r", "-z", "--full-tree", head)
            for record in out.split("\0"):
                if not record:
                    continue
                meta, _, path = record.partition("\t")
                mode, kind, sha = meta.split(" ")
                if kind == "blob":
                    result[path] = sha
        return result

    def _patched_files(self, old: str, new: str, files: dict[str, str]) -> dict[str, str] | None:
        """The file map of `new`, from the one of `old` and the diff between them."""
        try:
            out = self._git("diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", old, new)
        except StorageError:
            return None  # `old` vanished (history rewritten): read everything
        result = dict(files)
        fields = out.split("\0")
        for i in range(0, len(fields) - 1, 2):
            meta, path = fields[i], fields[i + 1]
            if not meta.startswith(":"):
                continue
            _, new_mode, _, new_sha, status = meta[1:].split(" ")
            if status == "D" or new_mode.startswith("16"):  # deleted, or a submodule
                result.pop(path, None)
            else:
                result[path] = new_sha
        return result

    def list_paths(self) -> list[str]:
        """Sorted paths of every file at HEAD."""
        return sorted(self.files())

    def exists(self, path: str) -> bool:
        return path in self.files()

    def read(self, path: str, revision: str | None = None) -> str:
        """The text of a file at HEAD or at a revision.

        :raises PageNotFound: when the file (or the revision) does not exist.
        """
        _check_path(path)
        data = self.read_bytes(path, revision)
        return data.decode("utf-8", errors="replace")

    def read_bytes(self, path: str, revision: str | None = None) -> bytes:
        if revision is None:
            sha = self.files().get(path)
            if sha is None:
                raise PageNotFound(f"There is no page at '{path}'.")
            return self._read_object(bytes.fromhex(sha))
        cached_head, cached = self._tree_cache
        if revision == cached_head:  # a snapshot of HEAD: its file map is at hand
            sha = cached.get(path)
            if sha is None:
                raise PageNotFound(f"'{path}' does not exist in revision {revision[:8]}.")
            return self._read_object(bytes.fromhex(sha))
        commit = self.resolve(revision)
        sha = self._blob_in_commit(commit, path)
        if sha is None:
            raise PageNotFound(f"'{path}' does not exist in revision {commit[:8]}.")
        return self._read_object(sha)

    def read_blob(self, sha: str) -> str:
        """The text of a blob found in a file map (`files_at`)."""
        return self._read_object(bytes.fromhex(sha)).decode("utf-8", errors="replace")

    def resolve(self, revision: str) -> str:
        """The full commit sha for a revision id.

        :raises InvalidRevision: for a malformed id; PageNotFound for an unknown one.
        """
        rev = validate_revision(revision)
        if len(rev) == 40:
            return rev if self._has_commit(rev) else self._unknown(rev)
        with self._lock:
            try:
                return self.repo.commit(rev).hexsha
            except (git.BadName, ValueError, git.GitCommandError):
                return self._unknown(rev)

    def _unknown(self, rev: str) -> str:
        raise PageNotFound(f"There is no revision {rev[:12]}.")

    def _has_commit(self, sha: str) -> bool:
        with self._lock:
            try:
                info = self.repo.odb.info(bytes.fromhex(sha))
            except (ValueError, KeyError, git.BadObject, git.GitCommandError):
                return False
            except Exception:  # gitdb raises its own BadObject types
                return False
            return info.type == b"commit"

    def history(
        self, path: str | None = None, *, limit: int = 50, offset: int = 0, visible=None,
        upto: str | None = None,
    ) -> list[Revision]:
        """Revisions touching a path (following renames), newest first; all when path is None
        (only those touching a path for which `visible(path)` is true, when given). With
        `upto`, a page's history as it was at that commit (the caller's snapshot)."""
        self.sync_revindex()
        if path is None:
            return self.revindex.recent(limit=limit, offset=offset, visible=visible)
        return self.revindex.history(_check_path(path), limit=limit, offset=offset, upto=upto)

    def previous_change(self, path: str, sha: str) -> Revision | None:
        """The revision of a path's history before commit `sha` (None when `sha` did not
        change it, or was its first)."""
        self.sync_revindex()
        return self.revindex.previous_change(_check_path(path), sha)

    def attribute(self, old: str | None, new: str, account: str, via: str) -> None:
        """Record that `account` brought the commits between `old` and `new` (a push)."""
        spec = new if old is None else f"{old}..{new}"
        shas = self._git("rev-list", spec).split()
        self.revindex.attribute(shas, account, via)

    def change_at(self, path: str, sha: str) -> Revision | None:
        """The change commit `sha` made to the page now at `path` (under its name then)."""
        self.sync_revindex()
        return self.revindex.change_at(_check_path(path), sha)

    def last_change(self, path: str, *, upto: str | None = None) -> Revision | None:
        """The newest revision that changed a path (at or before commit `upto`, when given:
        the snapshot the caller read the page at)."""
        self.sync_revindex()
        return self.revindex.last_change(_check_path(path), upto=upto)

    def renamed_to(self, path: str) -> str | None:
        """Where a path was most recently renamed to, if it was."""
        self.sync_revindex()
        return self.revindex.renamed_to(path)

    def sync_revindex(self) -> None:
        """Bring the revision table up to HEAD (commits may arrive by push or by hand)."""
        head = self.head()
        if head is not None and self.revindex.head() != head:
            with self._lock:
                self.revindex.catch_up(head, self._is_ancestor)

    def merge_from(self, theirs: str, *, author: Author, conflict_suffix: str,
                   message: str = "Merge changes from upstream") -> MergeResult:
        """Bring commit `theirs` (fetched from elsewhere) into the branch.

        A fast-forward when possible; otherwise a merge commit. Pages both sides
        changed are merged line by line; where that fails, or one side deleted what
        the other changed, both versions are kept: ours under its name, theirs beside
        it with `conflict_suffix` (and a changed page wins over a deletion).
        """
        with self._write_lock():
            head = self.head()
            if head == theirs or (head and self._is_ancestor(theirs, head)):
                return MergeResult(head, "up to date")
            if head is None or self._is_ancestor(head, theirs):
                self._update_ref(theirs, head)
                self.sync_revindex()
                return MergeResult(theirs, "fast-forward")
            found = subprocess.run(
                ["git", "--git-dir", str(self.git_dir), "merge-base", head, theirs],
                capture_output=True, text=True, env=_git_env(),
            )
            base = found.stdout.strip() if found.returncode == 0 else None  # None: unrelated
            ours_changed = self._raw_diff(base, head)
            theirs_changed = self._raw_diff(base, theirs)
            changes: dict[str, tuple[int, bytes] | None] = {}
            conflicts: list[tuple[str, str]] = []
            for path, their_value in theirs_changed.items():
                if path not in ours_changed:
                    changes[path] = _entry(their_value)
                    continue
                our_value = ours_changed[path]
                if our_value == their_value:
                    continue
                if our_value is None or their_value is None:
                    kept = their_value if our_value is None else our_value
                    changes[path] = _entry(kept)
                    conflicts.append((path, "changed on one side, deleted on the other"))
                    continue
                base_text = self._text_at(base, path) if base else ""
                ours = self._read_object(bytes.fromhex(our_value[1])).decode("utf-8", "replace")
                theirs_text = self._read_object(bytes.fromhex(their_value[1])).decode(
                    "utf-8", "replace")
                if path.endswith(".md"):
                    merged, clean = merge3(base_text or "", ours, theirs_text)
                    if clean:
                        changes[path] = (BLOB_MODE, self._store(b"blob", merged.encode("utf-8")))
                        continue
                stem, dot, ext = path.rpartition(".")
                copy = f"{stem} {conflict_suffix}.{ext}" if dot and "/" not in ext else (
                    f"{path} {conflict_suffix}")
                changes[copy] = _entry(their_value)
                conflicts.append((path, copy))
            note = "".join(f"\n- {p}: {c}" for p, c in conflicts)
            rev = self._commit(head, changes, author=author, other_parents=(theirs,),
                               message=message + ("\n\nKept both versions of:" + note
                                                  if conflicts else ""))
            return MergeResult(rev.id, "merged", conflicts)

    def _raw_diff(self, old: str | None, new: str) -> dict[str, tuple[str, str] | None]:
        if old is None:
            old = self._store(b"tree", b"").hex()  # the empty tree: unrelated histories
        return parse_raw_diff(self._git("diff-tree", "-r", "-z", "--no-renames", old, new))

    def changed_paths(self, old: str, new: str) -> list[str] | None:
        """Paths that may differ between two commits (every path a commit between them
        touched); None when `old` is not an ancestor of `new`."""
        if old == new:
            return []
        known = self._changes_made(old, new)
        if known is not None:
            return known
        if not self._is_ancestor(old, new):
            return None
        out = self._git("diff-tree", "-r", "-z", "--no-renames", "--name-only",
                        "--no-commit-id", old, new)
        return [p for p in out.split("\0") if p]

    def _changes_made(self, old: str, new: str) -> list[str] | None:
        """The paths the commits from `old` to `new` touched, when this process made each
        of them (no git process needed); None otherwise."""
        paths: dict[str, None] = {}
        commit = new
        for _ in range(len(self._made)):
            step = self._made.get(commit)
            if step is None:
                return None
            parent, touched = step
            paths.update(dict.fromkeys(touched))
            if parent == old:
                return list(paths)
            commit = parent
        return None

    def rebuild_revindex(self, progress=None) -> int:
        """Read the whole history into the revision table again; returns the commit count."""
        with self._lock:
            return self.revindex.rebuild(self.head(), self._is_ancestor, progress)

    def commit_count(self) -> int:
        head = self.head()
        return int(self._git("rev-list", "--count", head).strip()) if head else 0

    def diff(self, path: str, rev_a: str, rev_b: str) -> tuple[str, str]:
        """The texts of a page in two revisions (empty where it does not exist)."""
        texts = []
        for rev in (rev_a, rev_b):
            try:
                texts.append(self.read(path, rev))
            except PageNotFound:
                self.resolve(rev)  # an unknown revision is an error, a missing file is ""
                texts.append("")
        return texts[0], texts[1]

    def authors_between(self, base: str, head: str, path: str) -> list[str]:
        """Names of the people who changed a path after `base` up to `head`."""
        out = self._git("log", "--format=%an", f"{base}..{head}", "--", path)
        seen: list[str] = []
        for name in out.splitlines():
            if name and name not in seen:
                seen.append(name)
        return seen

    # -- writing -----------------------------------------------------------------

    def write(
        self,
        path: str,
        text: str,
        *,
        author: Author,
        message: str,
        base_revision: str | None = None,
    ) -> Revision | None:
        """Save text at path as one commit; None when nothing changed.

        With `base_revision` (the commit the editor started from), a change made
        meanwhile by someone else is merged three-way.

        :raises EditConflict: when both changed the same lines.
        """
        _check_path(path)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if base_revision:
            base_revision = self.resolve(base_revision)
        with self._write_lock():
            head = self.head()
            current = self._text_at(head, path)
            merged_with: tuple[str, ...] = ()
            if current is not None and current != text:
                if not base_revision:
                    raise EditConflict(
                        "This page already exists: someone created it while you were writing.",
                        current_text=current,
                        current_revision=head,
                    )
                base_text = self._text_at(base_revision, path)
                if base_text != current:
                    authors = self.authors_between(base_revision, head, path) if head else []
                    merged, clean = merge3(base_text or "", current, text)
                    if not clean:
                        raise EditConflict(
                            "Someone else changed the same lines while you were editing.",
                            current_text=current,
                            current_revision=head,
                            authors=authors,
                        )
                    text = merged
                    merged_with = tuple(authors)
            elif current is None and base_revision and self._text_at(base_revision, path):
                raise EditConflict(
                    "This page was deleted or renamed while you were editing it.",
                    current_text="",
                    current_revision=head,
                    authors=self.authors_between(base_revision, head, path) if head else [],
                )
            if current == text:
                return None
            blob = self._store(b"blob", text.encode("utf-8"))
            rev = self._commit(head, {path: (BLOB_MODE, blob)}, author=author, message=message)
            if merged_with:
                rev = dataclasses.replace(rev, merged_with=merged_with)
            return rev

    def rename(self, old: str, new: str, *, author: Author, message: str,
               base_revision: str | None = None) -> Revision:
        """Move a file in one commit.

        With `base_revision` (the commit the user saw the page at), a page changed since
        then is not moved: the user has not seen that change.

        :raises PageNotFound: when `old` does not exist; StorageError when `new` does;
            EditConflict when the page changed after `base_revision`.
        """
        _check_path(old)
        _check_path(new)
        base = self.resolve(base_revision) if base_revision else None
        with self._write_lock():
            head = self.head()
            blob = self._blob_in_commit(head, old) if head else None
            if blob is None:
                raise PageNotFound(f"There is no page at '{old}'.")
            self._unchanged_since(base, head, old, blob, "renamed")
            if self._blob_in_commit(head, new) is not None:
                raise StorageError(f"'{new}' exists already.", status=409)
            changes = {old: None, new: (BLOB_MODE, blob)}
            return self._commit(head, changes, author=author, message=message)

    def delete(self, path: str, *, author: Author, message: str,
               base_revision: str | None = None) -> Revision:
        """Remove a file in one commit (it stays in history).

        :raises PageNotFound: when it does not exist; EditConflict when it changed after
            `base_revision` (the commit the user saw it at).
        """
        _check_path(path)
        base = self.resolve(base_revision) if base_revision else None
        with self._write_lock():
            head = self.head()
            blob = self._blob_in_commit(head, path) if head else None
            if blob is None:
                raise PageNotFound(f"There is no page at '{path}'.")
            self._unchanged_since(base, head, path, blob, "deleted")
            return self._commit(head, {path: None}, author=author, message=message)

    def _unchanged_since(self, base: str | None, head: str, path: str, blob: bytes,
                         action: str) -> None:
        """Refuse to act on a page someone changed after the user looked at it.

        :raises EditConflict: naming who changed it.
        """
        if base is None or self._blob_in_commit(base, path) == blob:
            return
        raise EditConflict(
            f"This page was changed after you opened this form, so it was not {action}. "
            "Look at the change, then try again.",
            current_text=self._read_object(blob).decode("utf-8", "replace"),
            current_revision=head,
            authors=self.authors_between(base, head, path),
        )

    # -- internals ---------------------------------------------------------------

    def write_lock(self):
        """The lock every change of the branch takes (web saves, pushes): one at a time
        across threads and processes."""
        return self._write_lock()

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        with exclusive(self._lock_path, self._lock):
            yield

    def _git(self, *args: str, input: bytes | None = None) -> str:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), *args],
            input=input,
            capture_output=True,
            env=_git_env(),
        )
        if proc.returncode != 0:
            # git's own words (paths, object names) go to the log, never to the user
            log.error("git %s failed: %s", args[0] if args else "",
                      proc.stderr.decode("utf-8", "replace").strip()[:2000])
            raise StorageError("The content repository could not be read.")
        return proc.stdout.decode("utf-8", "replace")

    def _read_object(self, binsha: bytes) -> bytes:
        with self._lock:
            return self.repo.odb.stream(binsha).read()

    def _store(self, kind: bytes, data: bytes) -> bytes:
        # Written in-process as a loose object (GitPython's own store runs
        # `git hash-object`, a process per object).
        with self._lock:
            return self._loose.store(IStream(kind, len(data), BytesIO(data))).binsha

    def _tree_entries(self, tree: bytes | None) -> dict[bytes, tuple[int, bytes]]:
        """The entries of a tree object (a fresh dict the caller may change)."""
        return dict(self._tree_view(tree))

    def _tree_view(self, tree: bytes | None) -> dict[bytes, tuple[int, bytes]]:
        """The entries of a tree object, shared: never to be changed."""
        if tree is None:
            return {}
        with self._lock:
            cached = self._trees.get(tree)
            if cached is not None:
                self._trees.move_to_end(tree)
                return cached
        data = self._read_object(tree)
        entries: dict[bytes, tuple[int, bytes]] = {}
        pos = 0
        while pos < len(data):
            space = data.index(b" ", pos)
            nul = data.index(b"\0", space)
            mode = int(data[pos:space], 8)
            entries[data[space + 1 : nul]] = (mode, data[nul + 1 : nul + 21])
            pos = nul + 21
        self._keep_tree(tree, entries)
        return entries

    def _keep_tree(self, tree: bytes, entries: dict[bytes, tuple[int, bytes]]) -> None:
        with self._lock:  # trees never change, so parsed ones are kept by their sha
            self._trees[tree] = entries
            while len(self._trees) > 256:
                self._trees.popitem(last=False)

    def _commit_tree(self, commit: str) -> bytes:
        data = self._read_object(bytes.fromhex(commit))
        return bytes.fromhex(data[5:45].decode())  # "tree <sha>\n..."

    def _blob_in_commit(self, commit: str | None, path: str) -> bytes | None:
        if commit is None:
            return None
        tree: bytes | None = self._commit_tree(commit)
        parts = path.encode("utf-8").split(b"/")
        for i, part in enumerate(parts):
            entry = self._tree_view(tree).get(part)
            if entry is None:
                return None
            mode, sha = entry
            if i == len(parts) - 1:
                return sha if mode >> 12 == 8 else None
            if mode != TREE_MODE:
                return None
            tree = sha
        return None

    def _text_at(self, commit: str | None, path: str) -> str | None:
        sha = self._blob_in_commit(commit, path)
        return None if sha is None else self._read_object(sha).decode("utf-8", "replace")

    def _edit_tree(
        self, tree: bytes | None, changes: dict[bytes, tuple[int, bytes] | None]
    ) -> bytes | None:
        entries = self._tree_entries(tree)
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
            new = self._edit_tree(subtree, sub)
            if new is None:
                entries.pop(folder, None)
            else:
                entries[folder] = (TREE_MODE, new)
        if not entries:
            return None
        # git orders tree entries by name, comparing folders as if they ended in "/".
        ordered = sorted(
            entries.items(), key=lambda e: e[0] + (b"/" if e[1][0] == TREE_MODE else b"")
        )
        data = b"".join(b"%o %s\0%s" % (mode, name, sha) for name, (mode, sha) in ordered)
        sha = self._store(b"tree", data)
        self._keep_tree(sha, entries)  # the next save in this folder starts from it
        return sha

    def _commit(
        self,
        head: str | None,
        changes: dict[str, tuple[int, bytes] | None],
        *,
        author: Author,
        message: str,
        other_parents: tuple[str, ...] = (),
    ) -> Revision:
        """Write a commit on top of `head` and move the branch (caller holds the lock);
        `other_parents` make it a merge."""
        base_tree = self._commit_tree(head) if head else None
        tree = self._edit_tree(base_tree, {p.encode("utf-8"): v for p, v in changes.items()})
        if tree is None:
            tree = self._store(b"tree", b"")
        now = datetime.now(UTC).replace(microsecond=0)
        stamp = f"{int(now.timestamp())} +0000"
        message = (message.strip() or "Update") + "\n"
        ident = f"{author.name} <{author.email}> {stamp}"
        lines = [f"tree {tree.hex()}"]
        if head:
            lines.append(f"parent {head}")
        lines += [f"parent {p}" for p in other_parents]
        lines += [f"author {ident}", f"committer {ident}", "", message]
        sha = self._store(b"commit", "\n".join(lines).encode("utf-8")).hex()
        self._update_ref(sha, head)
        if head and not other_parents:
            self._made[sha] = (head, tuple(changes))
            while len(self._made) > MADE_KEPT:
                self._made.popitem(last=False)
        cached_head, cached = self._tree_cache
        if cached_head == head:  # keep the file map current without reading the tree again
            files = dict(cached)
            for path, value in changes.items():
                if value is None:
                    files.pop(path, None)
                else:
                    files[path] = value[1].hex()
            self._tree_cache = (sha, files)
        rev = Revision(id=sha, author=author, date=now, message=message.strip())
        recorded = [Change(status="D" if v is None else "M", path=p) for p, v in changes.items()]
        self._record(rev, head, recorded)
        self._pack_soon()
        return rev

    def _pack_soon(self) -> None:
        self._commits_since_pack += 1
        if self._commits_since_pack < self.pack_every:
            return
        if self._packer is not None and self._packer.is_alive():
            return
        self._commits_since_pack = 0
        # commits made here: sha -> (parent, paths changed), the newest MADE_KEPT
        self._made: OrderedDict[str, tuple[str, tuple[str, ...]]] = OrderedDict()
        self._packer = threading.Thread(target=self.pack, name="git-gc", daemon=True)
        self._packer.start()

    def pack(self) -> None:
        """Pack the loose objects once more than `gc_auto` have gathered (`git repack -d`:
        one new pack, the packed loose files removed), then let `git gc --auto` merge
        packs when there are many. Safe beside saves and pushes: nothing referenced or
        recent is pruned, and git's own lock (gc.pid) lets one gc run at a time."""
        if self._loose_count() <= self.gc_auto:
            return
        for args in (["repack", "-d", "-q"], ["gc", "--auto", "--quiet"]):
            proc = subprocess.run(
                ["git", "-c", "gc.autoDetach=false", "--git-dir", str(self.git_dir), *args],
                capture_output=True, env=_git_env(),
            )
            if proc.returncode != 0:
                log.warning("git %s failed: %s", args[0],
                            proc.stderr.decode("utf-8", "replace"))
                return

    def _loose_count(self) -> int:
        objects, count = self.git_dir / "objects", 0
        for prefix in range(256):
            try:
                count += len(os.listdir(objects / f"{prefix:02x}"))
            except FileNotFoundError:
                pass
        return count

    def _record(self, rev: Revision, parent: str | None, changes: list[Change]) -> None:
        """Keep the revision table in step; fall back to reading git if it lagged."""
        old_paths = [c.path for c in changes if c.status == "D"]
        new_paths = [c.path for c in changes if c.status != "D"]
        if len(old_paths) == 1 and len(new_paths) == 1:
            changes = [Change(status="R", path=new_paths[0], old_path=old_paths[0])]
        else:
            existed = set(self._paths_in(parent, [c.path for c in changes])) if parent else set()
            changes = [
                c if c.status == "D" else Change("M" if c.path in existed else "A", c.path)
                for c in changes
            ]
        if not self.revindex.append(rev, parent, changes):
            self.revindex.catch_up(rev.id, self._is_ancestor)

    def _paths_in(self, commit: str, paths: list[str]) -> list[str]:
        return [p for p in paths if self._blob_in_commit(commit, p) is not None]

    def _update_ref(self, new: str, old: str | None) -> None:
        for attempt in range(2):
            proc = subprocess.run(
                ["git", "--git-dir", str(self.git_dir), "update-ref", REF, new, old or ZERO],
                capture_output=True,
                env=_git_env(),
            )
            if proc.returncode == 0:
                return
            err = proc.stderr.decode("utf-8", "replace")
            if attempt == 0 and self._clear_stale_ref_lock():
                continue
            raise StorageError(
                "The save could not be recorded because the repository changed at the same "
                "moment. Please try again.",
                status=409,
            ) from RuntimeError(err)

    def _clear_stale_ref_lock(self) -> bool:
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

    def _is_ancestor(self, old: str, new: str) -> bool:
        proc = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "merge-base", "--is-ancestor", old, new],
            capture_output=True,
            env=_git_env(),
        )
        return proc.returncode == 0

    def _log_changes(self, rev_range: str) -> Iterator[tuple[Revision, list[Change]]]:
        """Commits in a range, oldest first, with the files each changed."""
        args = [
            "git",
            "--git-dir",
            str(self.git_dir),
            "log",
            "--reverse",
            "--topo-order",
            "-M",
            "--name-status",
            # a merge is listed with what it changed on the branch it was merged into
            "--diff-merges=first-parent",
            "-z",
            "--format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%B%x1f",
            rev_range,
        ]
        with subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_git_env()
        ) as proc:
            assert proc.stdout is not None
            buffer = b""
            for chunk in iter(lambda: proc.stdout.read(1 << 16), b""):
                buffer += chunk
                *records, buffer = buffer.split(b"\x1e")
                for record in records:
                    if record:
                        yield _parse_log_record(record)
            if buffer:
                yield _parse_log_record(buffer)


def _parse_log_record(record: bytes) -> tuple[Revision, list[Change]]:
    sha, name, email, ts, message, rest = record.decode("utf-8", "replace").split("\x1f", 5)
    rev = Revision(
        id=sha,
        author=Author(name, email),
        date=datetime.fromtimestamp(int(ts), UTC),
        message=message.strip(),
    )
    fields = [f for f in rest.lstrip("\n\0").split("\0")]
    changes: list[Change] = []
    i = 0
    while i < len(fields):
        status = fields[i].strip()
        if not status:
            i += 1
            continue
        if status[0] in "RC":
            old, new = fields[i + 1], fields[i + 2]
            changes.append(Change(status[0], new, old if status[0] == "R" else None))
            if status[0] == "C":
                changes[-1] = Change("A", new)
            i += 3
        else:
            changes.append(Change(status[0], fields[i + 1]))
            i += 2
    return rev, changes


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GIT_COMMITTER_NAME", "Wiki")
    env.setdefault("GIT_COMMITTER_EMAIL", "wiki@localhost")
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["LC_ALL"] = "C"
    return env


@dataclass(frozen=True)
class MergeResult:
    head: str | None
    how: str  # "up to date", "fast-forward" or "merged"
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (path, kept as / why)


def _entry(value: tuple[str, str] | None) -> tuple[int, bytes] | None:
    return None if value is None else (int(value[0], 8), bytes.fromhex(value[1]))


def merge3(base: str, ours: str, theirs: str) -> tuple[str, bool]:
    """Three-way merge of texts with `git merge-file`; returns (text, is_clean)."""
    with tempfile.TemporaryDirectory(prefix="wiki-merge-") as tmp:
        paths = []
        for label, text in (("current", ours), ("base", base), ("yours", theirs)):
            p = Path(tmp) / label
            p.write_bytes(text.encode("utf-8"))
            paths.append(str(p))
        proc = subprocess.run(
            ["git", "merge-file", "-p", "-L", "current", "-L", "base", "-L", "yours", *paths],
            capture_output=True,
            env=_git_env(),
        )
    if proc.returncode < 0 or proc.returncode > 127:
        raise StorageError("The three-way merge failed to run.")
    return proc.stdout.decode("utf-8", "replace"), proc.returncode == 0
