"""Changing the branch: saves (merged three-way), renames, several files at once,
deletions and merges from upstream, each one commit under the write lock.

`Writes` is a part of `Storage` (wiki/git/storage.py), which gives it `objects`,
`git`, `head()`, `resolve()`, `authors_between()`, `_write_lock()`, `_commit()`,
`_is_ancestor()` and `sync_revindex()`. No Flask imports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import N_
from ..errors import EditConflict
from ..errors import PageNotFound
from ..errors import StorageError
from ..model import Author
from ..model import Revision
from .checks import check_path
from .merge import MergeResult
from .merge import merge3
from .merge import merge_changes
from .objects import BLOB_MODE


class Writes:
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

    def write_bytes(
        self, path: str, data: bytes, *, author: Author, message: str
    ) -> Revision | None:
        """Store a file (an upload: the new version replaces the old) as one commit; None
        when it is unchanged."""
        check_path(path)
        blob = self.objects.store(b"blob", data)
        with self._write_lock():
            head = self.head()
            if head is not None and self.objects.blob(head, path) == blob:
                return None
            return self._commit(head, {path: (BLOB_MODE, blob)}, author=author, message=message)

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
        companions: dict[str, str] | None = None,
    ) -> Revision:
        """Move a file in one commit; with `rewrite(path, text) -> text`, the files at
        `rewrite_paths` change in the same commit (the links to the moved page), read
        from the same HEAD under the same lock.

        With `base_revision` (the commit the user saw the page at), a page changed since
        then is not moved: the user has not seen that change. `companions` (old path ->
        new path) move along in the same commit where they exist and their new place is
        free (a page's discussion file).

        :raises PageNotFound: when `old` does not exist; StorageError when `new` does;
            EditConflict when the page changed after `base_revision`.
        """
        check_path(new)
        with self._changing(old, base_revision, "renamed") as (head, blob):
            if self.objects.blob(head, new) is not None:
                raise StorageError(N_("'%(new)s' exists already."), new=new, status=409)
            changes = self._rewritten(head, rewrite_paths, rewrite) if rewrite else {}
            moved = changes.pop(old, None)  # the page's own links changed: its new text
            changes[old] = None
            changes[new] = moved or (BLOB_MODE, blob)
            also = []
            for source, target in (companions or {}).items():
                companion = self.objects.blob(head, check_path(source))
                if companion is not None and self.objects.blob(head, check_path(target)) is None:
                    changes[source], changes[target] = None, (BLOB_MODE, companion)
                    also.append((source, target))
            return self._commit(
                head,
                changes,
                author=author,
                message=message,
                renamed=(old, new),
                also_renamed=tuple(also),
            )

    def update(
        self,
        path: str,
        change: Callable[[str | None], str | None],
        *,
        author: Author,
        message: str,
    ) -> Revision | None:
        """Change one file as a function of its text at HEAD, read and written under the
        write lock, so that nothing can come between (appending to a discussion: two
        people commenting at once both land, neither merged nor refused). `change` gets
        None for a missing file, returns the new text (None or the same: no commit), and
        may raise to refuse.
        """
        check_path(path)
        with self._write_lock():
            head = self.head()
            current = self.objects.text_at(head, path) if head else None
            text = change(current)
            if text is None or text == current:
                return None
            blob = self.objects.store(b"blob", text.encode("utf-8"))
            return self._commit(head, {path: (BLOB_MODE, blob)}, author=author, message=message)

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
                raise PageNotFound(N_("There is no page at '%(path)s'."), path=path)
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
