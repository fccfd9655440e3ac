"""What happened in the repository: the revision table (wiki/git/revindex.py) kept up
to HEAD, and the questions answered from it or from git.

`History` is a part of `Storage` (wiki/git/storage.py), which gives it `git`,
`revindex`, `head()`, `_git()`, `_lock` and `_made`. No Flask imports.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Change
from ..model import Revision
from .checks import check_path
from .parse import LOG_FORMAT
from .parse import log_records
from .revindex import RevIndex


class History:
    def commit_count(self) -> int:
        head = self.head()
        return int(self._git("rev-list", "--count", head).strip()) if head else 0

    def authors_between(self, base: str, head: str, path: str) -> list[str]:
        """Names of the people who changed a path after `base` up to `head`."""
        out = self._git("log", "--format=%an", f"{base}..{head}", "--", path)
        return list(dict.fromkeys(name for name in out.splitlines() if name))

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
        out = self._git(
            "diff-tree", "-r", "-z", "--no-renames", "--name-only", "--no-commit-id", old, new
        )
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

    # -- history: the revision table (wiki/git/revindex.py), kept up to HEAD ------

    def sync_revindex(self) -> RevIndex:
        """The revision table, brought up to HEAD (commits may arrive by push or by hand)."""
        head = self.head()
        if head is not None and self.revindex.head() != head:
            with self._lock:
                self.revindex.catch_up(head, self._is_ancestor)
        return self.revindex

    def history(
        self,
        path: str | None = None,
        *,
        limit: int = 50,
        offset: int = 0,
        visible=None,
        upto: str | None = None,
    ) -> list[Revision]:
        """Revisions touching a path (following renames), newest first; all when path is None
        (only those touching a path for which `visible(path)` is true, when given). With
        `upto`, a page's history as it was at that commit (the caller's snapshot)."""
        if path is None:
            return self.sync_revindex().recent(limit=limit, offset=offset, visible=visible)
        return self.sync_revindex().history(check_path(path), limit=limit, offset=offset, upto=upto)

    def previous_change(self, path: str, sha: str) -> Revision | None:
        """The revision of a path's history before commit `sha` (None when `sha` did not
        change it, or was its first)."""
        return self.sync_revindex().previous_change(check_path(path), sha)

    def change_at(self, path: str, sha: str) -> Revision | None:
        """The change commit `sha` made to the page now at `path` (under its name then)."""
        return self.sync_revindex().change_at(check_path(path), sha)

    def last_change(self, path: str, *, upto: str | None = None) -> Revision | None:
        """The newest revision that changed a path (at or before commit `upto`, when given:
        the snapshot the caller read the page at)."""
        return self.sync_revindex().last_change(check_path(path), upto=upto)

    def renamed_to(self, path: str) -> str | None:
        """Where a path was most recently renamed to, if it was."""
        return self.sync_revindex().renamed_to(path)

    def attribute(self, old: str | None, new: str, account: str, via: str) -> None:
        """Record that `account` brought the commits between `old` and `new` (a push)."""
        shas = self._git("rev-list", new if old is None else f"{old}..{new}").split()
        self.revindex.attribute(shas, account, via)

    def rebuild_revindex(self, progress=None) -> int:
        """Read the whole history into the revision table again; returns the commit count."""
        with self._lock:
            return self.revindex.rebuild(self.head(), self._is_ancestor, progress)

    def _log_changes(self, rev_range: str) -> Iterator[tuple[Revision, list[Change]]]:
        """Commits in a range, oldest first, with the files each changed (a merge with
        what it changed on the branch it was merged into)."""
        with self.git.stream(
            "log",
            "--reverse",
            "--topo-order",
            "-M",
            "--name-status",
            "--diff-merges=first-parent",
            "-z",
            LOG_FORMAT,
            rev_range,
        ) as out:
            yield from log_records(iter(lambda: out.read(1 << 16), b""))

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether commit `old` is in the history of commit `new` (or is it)."""
        return self._is_ancestor(old, new)

    def _is_ancestor(self, old: str, new: str) -> bool:
        return self.git.ok("merge-base", "--is-ancestor", old, new)
