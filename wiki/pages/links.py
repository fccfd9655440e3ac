"""Backlinks: which pages link to a page, from the link table kept at each commit.

Plain Python, no Flask. `Backlinks` is a part of `Wiki` (wiki/pages/service.py), which
gives it `storage`, `links` (a LinkIndex or None), `_lock`, `_links_thread` and
`render_cached`. While the table is missing or being built, backlinks are
found by searching the pages with `git grep`.
"""

from __future__ import annotations

import html as htmllib
import logging
import posixpath
import re
from urllib.parse import quote
from urllib.parse import unquote

from ..locks import exclusive
from . import names
from .linkindex import PageFacts

log = logging.getLogger(__name__)

# More changed pages than this since the link table's commit: rebuild it in the background
# rather than make one request read them all.
_LINKS_CATCH_UP = 2000


class Backlinks:
    """The link table kept in step with HEAD (a part of Wiki)."""

    def backlinks(self, name: str) -> list[str]:
        """Pages that link to `name` (wikilinks or relative .md links): a lookup in the link
        table, or while that is being built, a search through the pages."""
        name = names.normalize(name)
        head = self.storage.head()
        if head is None:
            return []
        if self.sync_links(head):
            return sorted(self.links.sources(name), key=str.casefold)
        return self._backlinks_by_grep(name, head)

    def _facts_of(self, path: str, files: dict[str, str]) -> PageFacts | None:
        """What the page table keeps of a page (None: there is no such page)."""
        if path not in files:
            return None
        text = self.storage.read_blob(files[path])
        rendered = self.render_cached(text, names.to_name(path), key=files[path])
        return PageFacts(
            links=tuple(rendered.links) + _file_links(rendered.html, path, files),
            meta=rendered.meta,
            headings=tuple(h.text for h in rendered.toc),
        )

    def sync_links(self, head: str | None = None) -> bool:
        """Bring the link table to HEAD from the pages changed since its commit; True when
        it is there. A missing table, or one of another history or too far behind, is
        rebuilt in the background."""
        if self.links is None:
            return False
        head = self.storage.head() if head is None else head
        if head is None:
            return False
        old = self.links.head()
        if old == head:
            return True
        changed = self.storage.changed_paths(old, head) if old else None
        if changed is None or len(changed) > _LINKS_CATCH_UP:
            self.start_links_rebuild()
            return False
        files = self.storage.files_at(head)
        pages = {
            names.to_name(p): self._facts_of(p, files) for p in changed if names.is_page_path(p)
        }
        return self.links.update(old, head, pages) or self.links.head() == head

    def page_table_ready(self, head: str, wait: float = 10.0) -> bool:
        """Bring the page table to `head`, waiting up to `wait` seconds for a rebuild (a
        small wiki's takes a moment); False when it is still being built."""
        if self.sync_links(head):
            return True
        thread = self._links_thread
        if thread is not None:
            thread.join(wait)
        return self.sync_links(head)

    def rebuild_links(self, progress=None) -> int:
        """Read the links of every page of HEAD into a new link table. `progress(pages)`."""
        assert self.links is not None
        head = self.storage.head()
        if head is None:
            return 0
        files = self.storage.files_at(head)
        paths = sorted(p for p in files if names.is_page_path(p))

        def read():
            for done, path in enumerate(paths, 1):
                facts = self._facts_of(path, files)
                if facts is not None:
                    yield names.to_name(path), facts
                if progress is not None and done % 200 == 0:
                    progress(done)
            if progress is not None:
                progress(len(paths))

        return self.links.replace_all(head, read())

    def start_links_rebuild(self) -> None:
        """Build the link table in a background thread (one per process)."""
        if self.links is not None:
            self._start_once("_links_thread", self._rebuild_links_quietly, "links-rebuild")

    def _rebuild_links_quietly(self) -> None:
        lock_path = self.links.path.with_name(self.links.path.name + ".rebuild-lock")
        with exclusive(lock_path, wait=0) as held:
            if not held:
                return  # another process is building it
            try:
                if self.links.head() != self.storage.head():
                    self.rebuild_links()
            except Exception:
                log.exception("building the link table failed")

    def _backlinks_by_grep(self, name: str, head: str) -> list[str]:
        files = self.storage.files_at(head)
        leaf = names.leaf(name)
        patterns = {leaf, quote(leaf), leaf.replace(" ", "%20")}
        args = ["grep", "-l", "-F", "-i", "-z"]
        for pat in sorted(patterns):
            args += ["-e", pat]
        proc = self.storage.git.run(*args, head, "--", "*.md")
        found = []
        for entry in proc.stdout.decode("utf-8", "replace").split("\0"):
            if not entry:
                continue
            path = entry.split(":", 1)[1] if entry.startswith(head + ":") else entry
            if not names.is_page_path(path):
                continue
            other = names.to_name(path)
            if other == name or path not in files:
                continue
            facts = self._facts_of(path, files)
            if facts is not None and name in facts.links:
                found.append(other)
        return sorted(found, key=str.casefold)


_URL = re.compile(r'(?:src|href)="([^"#?]+)')


def _file_links(html: str, path: str, files: dict[str, str]) -> tuple[str, ...]:
    """The files of the repository a page shows or links to (images, PDFs), by path: the
    document library lists the pages that link to each file."""
    folder = names.folder(names.to_name(path))
    found = []
    for url in _URL.findall(str(html)):
        if "://" in url or url.startswith(("/-/", "mailto:", "data:")):
            continue
        raw = unquote(htmllib.unescape(url))
        target = posixpath.normpath(
            raw.lstrip("/") if raw.startswith("/") else posixpath.join(folder, raw)
        )
        if target in files and not target.endswith(names.SUFFIX):
            found.append(target)
    return tuple(dict.fromkeys(found))
