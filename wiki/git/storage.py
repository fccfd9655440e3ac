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

import dataclasses
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from pathlib import Path

import git

from ..errors import EditConflict
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
from .merge import merge_changes
from .objects import BLOB_MODE
from .objects import Objects
from .packing import Packer
from .parse import parse_ls_tree
from .parse import patch_files
from .revindex import RevIndex
from .runner import Git
from .runner import GitFailed

__all__ = ["MergeResult", "Storage", "merge3", "validate_revision"]

log = logging.getLogger(__name__)

MADE_KEPT = 64  # commits made here whose changed paths are remembered


class Storage(History):
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
                where = f" in revision {revision[:8]}" if revision else ""
                raise PageNotFound(f"There is no page at '{path}'{where}.")
            return self.objects.read(bytes.fromhex(sha))
        commit = self.resolve(revision)
        blob = self.objects.blob(commit, path)
        if blob is None:
            raise PageNotFound(f"'{path}' does not exist in revision {commit[:8]}.")
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
        raise PageNotFound(f"There is no revision {rev[:12]}.")

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
        check_path(path)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if base_revision:
            base_revision = self.resolve(base_revision)
        with self._write_lock():
            head = self.head()
            current = self.objects.text_at(head, path)
            merged_with: tuple[str, ...] = ()
            if current is not None and current != text:
                if not base_revision:
                    raise EditConflict(
                        "This page already exists: someone created it while you were writing.",
                        current_text=current,
                        current_revision=head,
                    )
                base_text = self.objects.text_at(base_revision, path)
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
                    text, merged_with = merged, tuple(authors)
            elif current is None and base_revision and self.objects.text_at(base_revision, path):
                raise EditConflict(
                    "This page was deleted or renamed while you were editing it.",
                    current_text="",
                    current_revision=head,
                    authors=self.authors_between(base_revision, head, path) if head else [],
                )
            if current == text:
                return None
            blob = self.objects.store(b"blob", text.encode("utf-8"))
            rev = self._commit(head, {path: (BLOB_MODE, blob)}, author=author, message=message)
            return dataclasses.replace(rev, merged_with=merged_with) if merged_with else rev

    def rename(
        self,
        old: str,
        new: str,
        *,
        author: Author,
        message: str,
        base_revision: str | None = None,
        rewrite: Callable[[str, str], str] | None = None,
        rewrite_paths: Iterable[str] = (),
    ) -> Revision:
        """Move a file in one commit; with `rewrite(path, text) -> text`, the files at
        `rewrite_paths` change in the same commit (the links to the moved page), read
        from the same HEAD under the same lock.

        With `base_revision` (the commit the user saw the page at), a page changed since
        then is not moved: the user has not seen that change.

        :raises PageNotFound: when `old` does not exist; StorageError when `new` does;
            EditConflict when the page changed after `base_revision`.
        """
        check_path(new)
        with self._changing(old, base_revision, "renamed") as (head, blob):
            if self.objects.blob(head, new) is not None:
                raise StorageError(f"'{new}' exists already.", status=409)
            changes = self._rewritten(head, rewrite_paths, rewrite) if rewrite else {}
            moved = changes.pop(old, None)  # the page's own links changed: its new text
            changes[old] = None
            changes[new] = moved or (BLOB_MODE, blob)
            return self._commit(head, changes, author=author, message=message, renamed=(old, new))

    def rewrite(
        self,
        paths: Iterable[str],
        rewrite: Callable[[str, str], str],
        *,
        author: Author,
        message: str,
        base_revision: str | None = None,
    ) -> Revision | None:
        """Change several files in one commit: `rewrite(path, text) -> text` for each, read
        at HEAD under the write lock (None: nothing changed).

        :raises EditConflict: when one of them changed after `base_revision`.
        """
        paths = [check_path(p) for p in paths]
        base = self.resolve(base_revision) if base_revision else None
        with self._write_lock():
            head = self.head()
            if head is None:
                return None
            if base is not None:
                for path in paths:
                    if self.objects.blob(base, path) != self.objects.blob(head, path):
                        raise EditConflict(
                            f"'{path}' was changed after you opened this form. Look at the "
                            "change, then try again.",
                            current_text=self.objects.text_at(head, path) or "",
                            current_revision=head,
                            authors=self.authors_between(base, head, path),
                        )
            changes = self._rewritten(head, paths, rewrite)
            if not changes:
                return None
            return self._commit(head, changes, author=author, message=message)

    def _rewritten(
        self, head: str, paths: Iterable[str], rewrite: Callable[[str, str], str]
    ) -> dict[str, tuple[int, bytes] | None]:
        """The new blobs of the files `rewrite` changes (caller holds the lock)."""
        changes: dict[str, tuple[int, bytes] | None] = {}
        for path in paths:
            current = self.objects.text_at(head, check_path(path))
            if current is None:
                continue
            rewritten = rewrite(path, current)
            if rewritten != current:
                changes[path] = (BLOB_MODE, self.objects.store(b"blob", rewritten.encode()))
        return changes

    def delete(
        self, path: str, *, author: Author, message: str, base_revision: str | None = None
    ) -> Revision:
        """Remove a file in one commit (it stays in history).

        :raises PageNotFound: when it does not exist; EditConflict when it changed after
            `base_revision` (the commit the user saw it at).
        """
        with self._changing(path, base_revision, "deleted") as (head, _blob):
            return self._commit(head, {path: None}, author=author, message=message)

    @contextmanager
    def _changing(
        self, path: str, base_revision: str | None, action: str
    ) -> Iterator[tuple[str, bytes]]:
        """Under the write lock: HEAD and the page's blob, refusing to act on a page someone
        changed after the user looked at it (at `base_revision`).

        :raises PageNotFound: when it does not exist; EditConflict naming who changed it.
        """
        check_path(path)
        base = self.resolve(base_revision) if base_revision else None
        with self._write_lock():
            head = self.head()
            blob = self.objects.blob(head, path) if head else None
            if head is None or blob is None:
                raise PageNotFound(f"There is no page at '{path}'.")
            if base is not None and self.objects.blob(base, path) != blob:
                raise EditConflict(
                    f"This page was changed after you opened this form, so it was not "
                    f"{action}. Look at the change, then try again.",
                    current_text=self.objects.text(blob),
                    current_revision=head,
                    authors=self.authors_between(base, head, path),
                )
            yield head, blob

    def merge_from(
        self,
        theirs: str,
        *,
        author: Author,
        conflict_suffix: str,
        message: str = "Merge changes from upstream",
    ) -> MergeResult:
        """Bring commit `theirs` (fetched from elsewhere) into the branch: a fast-forward
        when possible, otherwise a merge commit (wiki/git/merge.py says how)."""
        with self._write_lock():
            head = self.head()
            if head == theirs or (head and self._is_ancestor(theirs, head)):
                return MergeResult(head, "up to date")
            if head is None or self._is_ancestor(head, theirs):
                self.branch.move(theirs, head)
                self.sync_revindex()
                return MergeResult(theirs, "fast-forward")
            found = self.git.run("merge-base", head, theirs)
            base = found.stdout.decode().strip() if found.returncode == 0 else None
            changes, conflicts = merge_changes(
                self.git, self.objects, base, head, theirs, conflict_suffix
            )
            note = "".join(f"\n- {p}: {c}" for p, c in conflicts)
            rev = self._commit(
                head,
                changes,
                author=author,
                other_parents=(theirs,),
                message=message + ("\n\nKept both versions of:" + note if conflicts else ""),
            )
            return MergeResult(rev.id, "merged", conflicts)

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
        self._record(rev, head, changes, renamed)
        self.packer.commit_made()
        return rev

    def _record(
        self,
        rev: Revision,
        parent: str | None,
        changed: dict[str, tuple[int, bytes] | None],
        renamed: tuple[str, str] | None = None,
    ) -> None:
        """Keep the revision table in step; fall back to reading git if it lagged."""
        gone = [p for p, v in changed.items() if v is None]
        came = [p for p, v in changed.items() if v is not None]
        if renamed is not None:  # a move, and the files whose links follow it
            changes = [Change(status="R", path=renamed[1], old_path=renamed[0])]
            changes += [Change("M", p) for p in came if p != renamed[1]]
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
            raise StorageError("The content repository could not be read.") from None
