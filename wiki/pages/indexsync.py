"""The search index kept in step with `main`: searches, catching up, rebuilding.

Plain Python, no Flask. `IndexSync` is a part of `Wiki` (wiki/pages/service.py), which
gives it `storage`, `index` (a SearchIndex or None), `_lock`,
`_rebuild_thread` and `render_cached`. The index catches up from the paths
changed since its commit; one that reflects another history, or none, is
rebuilt in a background thread, one process at a time.
"""

from __future__ import annotations

import functools
import logging
from datetime import UTC
from datetime import datetime

from ..files.extract import extractable
from ..files.extract import text_of
from ..locks import exclusive
from ..search import PageDoc
from ..search import Results
from . import names
from .language import detect

log = logging.getLogger(__name__)


class IndexSync:
    """Search, and the search index in step with HEAD (a part of Wiki)."""

    def search(
        self,
        text: str,
        *,
        filters: dict[str, str] | None = None,
        sort: str = "relevance",
        page: int = 1,
        restrict=None,
    ) -> Results:
        """Search the pages, after indexing any commit the index has not seen yet."""
        if self.index is None:
            return Results(query=text, total=0, page=page, rebuilding=True)
        self.sync_index()
        return self.index.search(text, filters=filters, sort=sort, page=page, restrict=restrict)

    def suggest(self, text: str, *, limit: int = 10, restrict=None) -> list[tuple[str, str]]:
        if self.index is None:
            return []
        self.sync_index()
        return self.index.suggest(text, limit=limit, restrict=restrict)

    def sync_index(self) -> None:
        """Bring the search index up to HEAD; start a rebuild when it is missing or unusable."""
        if self.index is None:
            return
        head = self.storage.head()
        if head is None or self.index.head() == head and self.index.is_ready():
            return
        if not self.index.is_ready():
            self.start_rebuild()
            return
        try:
            done = self.index.catch_up(
                head,
                self.storage.changed_paths,
                functools.partial(self.load_documents, at=head),
                wait=5.0,
            )
        except Exception:
            log.exception("the search index could not catch up; rebuilding it")
            done = False
            self.start_rebuild()
            return
        if not done and self.index.head() != head and self.index.is_ready():
            old = self.index.head()
            if old and self.storage.changed_paths(old, head) is None:
                self.start_rebuild()  # history was rewritten

    def rebuild_index(self, progress=None, packing=None, procs: int = 1) -> int:
        """Index every page from scratch (the index stays usable until the new one is in).
        `progress(pages)` and `packing(done, total)` follow the two stages; `procs` > 1
        forks that many indexing processes (the command line only)."""
        assert self.index is not None
        head = self.storage.head()
        paths = sorted(
            p
            for p in self.storage.files_at(head)
            if names.is_page_path(p) or names.is_discussion_path(p) or extractable(p)
        )
        return self.index.rebuild(
            head, paths, functools.partial(self.load_documents, at=head), progress, packing, procs
        )

    def start_rebuild(self) -> None:
        """Rebuild the index in a background thread (one per process, one process at a time)."""
        if self.index is not None:
            self._start_once("_rebuild_thread", self._rebuild_locked, "search-rebuild")

    def _rebuild_locked(self) -> None:
        assert self.index is not None
        lock_path = self.index.root.with_name(self.index.root.name + ".rebuild-lock")
        with exclusive(lock_path, wait=0) as held:
            if not held:
                return  # another process is rebuilding
            try:
                if self.index_is_stale():  # still? another process may have rebuilt it
                    self.rebuild_index()
            except Exception:
                log.exception("rebuilding the search index failed")

    def index_is_stale(self) -> bool:
        """Whether only a rebuild can bring the search index up to HEAD: it is missing or
        unreadable, or it reflects a commit that is not in HEAD's history (a rewritten
        history, or another repository's index)."""
        if self.index is None:
            return False
        indexed, head = self.index.head(), self.storage.head()
        if not self.index.is_ready() or indexed is None:
            return True
        return (
            indexed != head
            and head is not None
            and self.storage.changed_paths(indexed, head) is None
        )

    def is_index_rebuilding(self) -> bool:
        return self._rebuild_thread is not None and self._rebuild_thread.is_alive()

    def load_documents(self, paths: list[str], *, at: str | None = None):
        """The pages at these paths in commit `at` (default HEAD), as documents for the
        search index: text and last change of the same commit."""
        at = self.storage.head() if at is None else at
        files = self.storage.files_at(at)
        for path in paths:
            if path in files and not path.endswith(names.SUFFIX) and extractable(path):
                yield self._file_document(path, files[path], at)
                continue
            if path in files and names.is_discussion_path(path):
                yield self._discussion_document(path, files, at)
                continue
            if not names.is_page_path(path) or path not in files:
                continue
            name = names.to_name(path)
            text = self.storage.read_blob(files[path])
            rendered = self.render_cached(text, name, key=files[path])
            last = self.storage.last_change(path, upto=at)
            given = rendered.meta.get("lang")
            language = (
                given.strip().lower()
                if isinstance(given, str) and given.strip()
                else self.folder_language(path, at) or detect(rendered.text)
            )
            yield PageDoc(
                name=name,
                title=rendered.title,
                text=rendered.text,
                headings=[h.text for h in rendered.toc],
                meta=rendered.meta,
                author=last.author.name if last else "",
                modified=last.date if last else datetime.now(UTC),
                language=language,
            )

    def _discussion_document(self, path: str, files: dict, at: str | None) -> PageDoc:
        """A page's discussion as a search document of type `discussion`: the comments
        shown (hidden ones left out), in the page's language, under the page's rights
        (it is in the same folder)."""
        from ..discussions import thread

        page = names.discussion_page(path)
        top = thread.comments(thread.parse(self.storage.read_blob(files[path])))
        shown = [c for t in top for c in (t, *t.replies) if not c.hidden]
        meta: dict = {"type": "discussion", "page": page}
        title, language = names.leaf(page), None
        page_path = names.to_path(page) if page else ""
        if page_path in files:
            rendered = self.render_cached(
                self.storage.read_blob(files[page_path]), page, key=files[page_path]
            )
            title = rendered.title
            for key in ("wg", "country", "region", "lang"):
                if rendered.meta.get(key):
                    meta[key] = rendered.meta[key]
            given = rendered.meta.get("lang")
            language = given.strip().lower() if isinstance(given, str) and given.strip() else None
        text = "\n\n".join(c.body for c in shown)
        language = language or self.folder_language(path, at) or detect(text)
        last = self.storage.last_change(path, upto=at)
        return PageDoc(
            name=path[: -len(names.SUFFIX)],  # as the index names every .md file
            title=title,
            text=text,
            headings=[],
            meta=meta,
            author=last.author.name if last else "",
            modified=last.date if last else datetime.now(UTC),
            language=language,
        )

    def _file_document(self, path: str, blob: str, at: str | None) -> PageDoc:
        """A file (PDF, DOCX, ...) as a search document: its name, and its words when they
        can be read (in a limited child process: wiki/files/extract.py)."""
        data = self.storage.objects.read(bytes.fromhex(blob))
        text = text_of(path, data)
        if text is None:
            self.unreadable_files.add(path)  # `wiki reindex` names them
        else:
            self.unreadable_files.discard(path)
        last = self.storage.last_change(path, upto=at)
        kind = path.rpartition(".")[2].upper()
        size = (
            f"{len(data) / (1 << 20):.1f} MB"
            if len(data) >= 1 << 20
            else (f"{max(1, len(data) // 1024)} KB")
        )
        language = self.file_language(path, at, last)  # its words are stemmed in it
        groups = self.file_groups(path, at, linking=False)  # the index is of `at` alone
        return PageDoc(
            name=path,
            title=names.leaf(path),
            text=text or "",
            headings=[],
            meta={
                "type": "file",
                "file": f"{kind} · {size}",
                **({"lang": language} if language else {}),
                **({"wg": groups} if groups else {}),
                **({} if text is not None else {"unreadable": 1}),
            },
            author=last.author.name if last else "",
            modified=last.date if last else datetime.now(UTC),
            language=language,
        )
