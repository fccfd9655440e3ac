"""Files beside the pages (images, PDFs, presentations): listing a folder's files,
storing one (a new version when it exists), deleting one, each one commit.

Plain Python, no Flask. `Attachments` is a part of `Wiki` (wiki/pages/service.py), which
gives it `storage`, `head()` and `_committed()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PageNotFound
from ..model import Author
from ..model import Revision
from . import names


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    last_change: Revision | None

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


class Attachments:
    def files_in(self, folder: str, head: str | None = None) -> list[FileInfo]:
        """The files (not pages) directly in a folder at HEAD (or commit `head`), by name,
        with their size and last change."""
        head = self.head() if head is None else head
        found = [
            FileInfo(path, self.storage.objects.size(sha), self.storage.last_change(path))
            for path, sha in self._files_by_folder(head).get(folder, ())
        ]
        return sorted(found, key=lambda f: f.path.casefold())

    def pages_linking(self, path: str, visible=None) -> list[str]:
        """The pages (that `visible(name)` allows) showing or linking to a file."""
        head = self.head()
        if self.links is None or head is None or not self.page_table_ready(head):
            return []
        return sorted(
            (p for p in self.links.sources(path) if visible is None or visible(p)),
            key=str.casefold,
        )

    def all_files(self, visible=None) -> list[FileInfo]:
        """Every file that is not a page at HEAD (that `visible(path)` allows)."""
        head = self.head()
        return [
            FileInfo(path, self.storage.objects.size(sha), self.storage.last_change(path))
            for entries in self._files_by_folder(head).values()
            for path, sha in entries
            if visible is None or visible(path)
        ]

    def _files_by_folder(self, head: str | None) -> dict[str, list[tuple[str, str]]]:
        """Every file that is not a page, by folder: read once per commit (a page view
        asks for its folder's files; the 40,000 paths of a large wiki are not scanned
        for each)."""
        cached = getattr(self, "_files_index", None)
        if cached is not None and cached[0] == head:
            return cached[1]
        index: dict[str, list[tuple[str, str]]] = {}
        for path, sha in self.storage.files_at(head).items():
            if not path.endswith(names.SUFFIX):
                index.setdefault(names.folder(path), []).append((path, sha))
        self._files_index = (head, index)
        return index

    def save_file(self, path: str, data: bytes, *, author: Author, message: str = ""):
        """Store a file beside the pages (a new version when it exists) in one commit."""
        verb = "Replace" if self.storage.exists(path) else "Add"
        rev = self.storage.write_bytes(
            path, data, author=author, message=message.strip() or f"{verb} {path}"
        )
        if rev is not None:
            self._committed()
        return rev

    def delete_file(self, path: str, *, author: Author, base_revision: str | None = None):
        """Remove a file in one commit (it stays in history)."""
        if path.endswith(names.SUFFIX) or not self.storage.exists(path):
            raise PageNotFound(f"There is no file '{path}'.")
        rev = self.storage.delete(
            path, author=author, message=f"Delete {path}", base_revision=base_revision
        )
        self._committed()
        return rev
