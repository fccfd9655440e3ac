"""Files beside the pages (images, PDFs, presentations): listing a folder's files,
storing one (a new version when it exists), deleting one, each one commit.

Plain Python, no Flask. `Attachments` is a part of `Wiki` (wiki/pages/service.py), which
gives it `storage`, `head()` and `_committed()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import N_
from ..errors import PageNotFound
from ..model import Author
from ..model import Revision
from ..records.validate import LANGUAGES as FILE_LANGUAGES
from . import frontmatter
from . import names

# A file's language, when given at upload (or by hand in a pushed commit), is a trailer of
# the commit that stored it: "Language: hu". Else it has its space's language.
_LANGUAGE = re.compile(r"^Language:[ \t]*([a-z]{2,3})[ \t]*$", re.MULTILINE)


def given_language(revision: Revision | None) -> str:
    """The language a file's commit gives it (one the wiki knows), or ""."""
    found = _LANGUAGE.search(revision.message) if revision is not None else None
    return found.group(1) if found and found.group(1) in FILE_LANGUAGES else ""


def without_language(message: str) -> str:
    """A commit message without "Language:" lines (the wiki writes that trailer)."""
    return _LANGUAGE.sub("", message).strip()


def _values(value) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(item).strip() for item in items if isinstance(item, str) and item.strip()]


@dataclass(frozen=True)
class FileInfo:
    path: str
    size: int
    last_change: Revision | None
    language: str = ""  # given at upload, else the space's ("" for the wiki's default)

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


class Attachments:
    def files_in(self, folder: str, head: str | None = None) -> list[FileInfo]:
        """The files (not pages) directly in a folder at HEAD (or commit `head`), by name,
        with their size and last change."""
        head = self.head() if head is None else head
        found = [
            self._info(path, sha, head) for path, sha in self._files_by_folder(head).get(folder, ())
        ]
        return sorted(found, key=lambda f: f.path.casefold())

    def _info(self, path: str, sha: str, head: str | None) -> FileInfo:
        last = self.storage.last_change(path, upto=head)
        return FileInfo(
            path, self.storage.objects.size(sha), last, self.file_language(path, head, last)
        )

    def file_language(self, path: str, at: str | None, last: Revision | None) -> str:
        """The language a file is written in: given at upload, else its folder's."""
        return given_language(last) or self.folder_language(path, at)

    def folder_language(self, path: str, at: str | None) -> str:
        """The `lang` of the nearest home page above a page or file (its folder's, then
        the folders above up to its space's), or ""."""
        folder = names.folder(path[: -len(names.SUFFIX)] if path.endswith(names.SUFFIX) else path)
        while folder:
            found = self._home_meta(f"{folder}/{names.HOME}", at).get("lang")
            if found:
                return found[0].lower()
            folder = names.folder(folder)
        return ""

    def file_groups(
        self, path: str, at: str | None, *, linking: bool = True, visible=None
    ) -> list[str]:
        """The working groups a file belongs to: its space's, and (with `linking`) those of
        the pages that show or link to it (those that `visible(name)` allows)."""
        groups = list(self.space_meta(path, at).get("wg", []))
        if linking and self.links is not None and at is not None and self.page_table_ready(at):
            sources = [p for p in self.links.sources(path) if visible is None or visible(p)]
            for meta in self.links.metas(sources).values():
                groups += [g for g in _values(meta.get("wg")) if g not in groups]
        return groups

    def space_meta(self, path: str, at: str | None) -> dict[str, list[str]]:
        """`lang` and `wg` of a file's space: the front matter of its top folder's home page
        (read once per version of that page)."""
        if "/" not in path:
            return {}
        return self._home_meta(f"{path.split('/', 1)[0]}/{names.HOME}", at)

    def _home_meta(self, home_name: str, at: str | None) -> dict[str, list[str]]:
        home = names.to_path(home_name)
        blob = self.storage.files_at(at).get(home)
        if blob is None:
            return {}
        cache = self.__dict__.setdefault("_space_meta", {})
        if blob not in cache:
            meta = frontmatter.parse(self.storage.read_blob(blob), strict=False).meta
            if len(cache) > 1024:
                cache.clear()
            cache[blob] = {key: _values(meta.get(key)) for key in ("lang", "wg")}
        return cache[blob]

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
            self._info(path, sha, head)
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

    def save_file(
        self, path: str, data: bytes, *, author: Author, message: str = "", language: str = ""
    ):
        """Store a file beside the pages (a new version when it exists) in one commit; a
        language given (or the one given for its last version) is kept as a trailer."""
        existed = self.storage.exists(path)
        message = without_language(message) or f"{'Replace' if existed else 'Add'} {path}"
        if not language and existed:
            language = given_language(self.storage.last_change(path))
        if language:
            message += f"\n\nLanguage: {language}"
        rev = self.storage.write_bytes(path, data, author=author, message=message)
        if rev is not None:
            self._committed()
        return rev

    def delete_file(self, path: str, *, author: Author, base_revision: str | None = None):
        """Remove a file in one commit (it stays in history)."""
        if path.endswith(names.SUFFIX) or not self.storage.exists(path):
            raise PageNotFound(N_("There is no file '%(path)s'."), path=path)
        rev = self.storage.delete(
            path, author=author, message=f"Delete {path}", base_revision=base_revision
        )
        self._committed()
        return rev
