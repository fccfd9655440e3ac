"""The git repository holding the page files.

Knows paths, text and commits; nothing about HTTP, users or Markdown, and it
imports nothing from Flask. Commits are made with git plumbing (objects
written in-process, wiki/git/objects.py; the branch moved with
`git update-ref NEW OLD`, an atomic compare-and-swap), never through a work
tree or the index, so a crashed writer cannot leave an `index.lock` behind and
many processes can share the repository. Writes are serialized by a thread lock
plus an advisory file lock (released by the kernel if a process dies). git runs
through wiki/git/runner.py, its output is parsed in wiki/git/parse.py, merges
are wiki/git/merge.py, the revision table wiki/git/revindex.py.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from pathlib import Path

import git

from ..errors import N_
from ..errors import PageNotFound
from ..errors import StorageError
from ..locks import exclusive
from ..model import Author
from ..model import Change
from ..model import Revision
from .branch import BRANCH
from .branch import Branch
from .checks import check_path
from .checks import validate_revision
from .history import History
from .merge import MergeResult
from .merge import merge3
from .objects import BLOB_MODE
from .objects import Objects
from .packing import Packer
from .parse import parse_ls_tree
from .parse import patch_files
from .revindex import RevIndex
from .runner import Git
from .runner import GitFailed
from .writes import Writes

__all__ = ["MergeResult", "Storage", "merge3", "validate_revision"]

log = logging.getLogger(__name__)

MADE_KEPT = 64  # commits made here whose changed paths are remembered


class Storage(History, Writes):
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
        self.git = Git(self.git_dir)
        self._lock = threading.RLock()
        self.objects = Objects(self.repo, self._lock)
        self.branch = Branch(self.git_dir, self.git)
        self.packer = Packer(self.git_dir, self.objects)
        # commits made here: sha -> (parent, paths changed), the newest MADE_KEPT
        self._made: OrderedDict[str, tuple[str, tuple[str, ...]]] = OrderedDict()
        self._lock_path = self.git_dir / "wiki-write.lock"
        self._tree_cache: tuple[str | None, dict[str, str]] = ("", {})
        cache_dir = self.git_dir / "wiki"
        cache_dir.mkdir(exist_ok=True)
        self.revindex = RevIndex(cache_dir / "revindex.sqlite", self._log_changes)

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
        changes = {
            check_path(p): (BLOB_MODE, self.objects.store(b"blob", data))
            for p, data in files.items()
        }
        with self._write_lock():
            return self._commit(self.head(), changes, author=author, message=message)

    # -- reading -----------------------------------------------------------------

    def head(self) -> str | None:
        """The commit `main` points at, or None in an empty repository."""
        return self.branch.head()

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
            try:
                result = patch_files(
                    cached,
                    self._git(
                        "diff-tree",
                        "-r",
                        "-z",
                        "--no-renames",
                        "--no-commit-id",
                        cached_head,
                        commit,
                    ),
                )
            except StorageError:
                result = None  # the cached commit vanished (history rewritten)
        if result is None:
            result = (
                parse_ls_tree(self._git("ls-tree", "-r", "-z", "--full-tree", commit))
                if commit
                else {}
            )
        with self._lock:
            self._tree_cache = (commit, result)
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
        return self.read_bytes(check_path(path), revision).decode("utf-8", errors="replace")

    def read_bytes(self, path: str, revision: str | None = None) -> bytes:
        cached_head, cached = self._tree_cache
        if revision is None or (revision and revision == cached_head):  # HEAD: file map at hand
            sha = self.files().get(path) if revision is None else cached.get(path)
            if sha is None:
                if revision:
                    raise PageNotFound(
                        N_("There is no page at '%(path)s' in revision %(revision)s."),
                        path=path,
                        revision=revision[:8],
                    )
                raise PageNotFound(N_("There is no page at '%(path)s'."), path=path)
            return self.objects.read(bytes.fromhex(sha))
        commit = self.resolve(revision)
        blob = self.objects.blob(commit, path)
        if blob is None:
            raise PageNotFound(
                N_("'%(path)s' does not exist in revision %(commit)s."),
                path=path,
                commit=commit[:8],
            )
        return self.objects.read(blob)

    def read_blob(self, sha: str) -> str:
        """The text of a blob found in a file map (`files_at`)."""
        return self.objects.text(bytes.fromhex(sha))

    def resolve(self, revision: str) -> str:
        """The full commit sha for a revision id.

        :raises InvalidRevision: for a malformed id; PageNotFound for an unknown one.
        """
        rev = validate_revision(revision)
        if len(rev) == 40 and self.objects.is_commit(rev):
            return rev
        if len(rev) < 40:
            with self._lock:
                try:
                    return self.repo.commit(rev).hexsha
                except (git.BadName, ValueError, git.GitCommandError):
                    pass
        raise PageNotFound(N_("There is no revision %(rev)s."), rev=rev[:12])

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

    def write_lock(self):
        """The lock every change of the branch takes (web saves, pushes): one at a time
        across threads and processes."""
        return self._write_lock()

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        with exclusive(self._lock_path, self._lock):
            yield

    def _commit(
        self,
        head: str | None,
        changes: dict[str, tuple[int, bytes] | None],
        *,
        author: Author,
        message: str,
        other_parents: tuple[str, ...] = (),
        renamed: tuple[str, str] | None = None,
        also_renamed: tuple[tuple[str, str], ...] = (),
    ) -> Revision:
        """Write a commit on top of `head` and move the branch (caller holds the lock);
        `other_parents` make it a merge."""
        base_tree = self.objects.commit_tree(head) if head else None
        tree = self.objects.edit_tree(base_tree, {p.encode("utf-8"): v for p, v in changes.items()})
        now = datetime.now(UTC).replace(microsecond=0)
        message = message.strip() or "Update"
        sha = self.objects.write_commit(
            tree or self.objects.empty_tree(),
            ([head] if head else []) + list(other_parents),
            author=author,
            date=now,
            message=message + "\n",
        )
        self.branch.move(sha, head)
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
        rev = Revision(id=sha, author=author, date=now, message=message)
        self._record(rev, head, changes, renamed, also_renamed)
        self.packer.commit_made()
        return rev

    def _record(
        self,
        rev: Revision,
        parent: str | None,
        changed: dict[str, tuple[int, bytes] | None],
        renamed: tuple[str, str] | None = None,
        also_renamed: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Keep the revision table in step; fall back to reading git if it lagged."""
        gone = [p for p, v in changed.items() if v is None]
        came = [p for p, v in changed.items() if v is not None]
        if renamed is not None:  # a move, and the files whose links follow it
            moves = dict([renamed, *also_renamed])
            changes = [Change(status="R", path=new, old_path=old) for old, new in moves.items()]
            changes += [Change("M", p) for p in came if p not in moves.values()]
        elif len(gone) == 1 and len(came) == 1:
            changes = [Change(status="R", path=came[0], old_path=gone[0])]
        else:
            existed = {p for p in came if parent and self.objects.blob(parent, p) is not None}
            changes = [
                Change("D" if v is None else "M" if p in existed else "A", p)
                for p, v in changed.items()
            ]
        if not self.revindex.append(rev, parent, changes):
            self.revindex.catch_up(rev.id, self._is_ancestor)

    def _git(self, *args: str) -> str:
        """git's output as text. :raises StorageError: (git's words go to the log only)."""
        try:
            return self.git.text(*args)
        except GitFailed as failed:
            log.error("git %s failed: %s", args[0] if args else "", failed.stderr[:2000])
            raise StorageError(N_("The content repository could not be read.")) from None
