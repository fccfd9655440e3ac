"""Renaming a page, and the links and page references that follow it in the same commit.

Plain Python, no Flask. `Renames` is a part of `Wiki` (wiki/pages/service.py), which
gives it `storage`, `exists()`, `check_new_name()`, `page_names()`, `backlinks()`,
`reference_finders` and `_committed()`.
"""

from __future__ import annotations

from ..errors import N_
from ..errors import InvalidPageName
from ..errors import PageNotFound
from ..model import Author
from . import names
from . import rewrite


class Renames:
    def rename_page(
        self,
        name: str,
        new_name: str,
        *,
        author: Author,
        message: str = "",
        base_revision: str | None = None,
        rewrite_links: bool = False,
        writable=None,
    ) -> str:
        """Rename a page in one commit and return the new name (refused when it changed
        after `base_revision`, the commit the user saw it at). With `rewrite_links`, the
        links and page references to it (`links_to`) follow in the same commit, in the
        pages `writable(name)` allows (all when None).

        :raises PageNotFound, InvalidPageName, EditConflict:
        """
        name = names.normalize(name)
        if not self.exists(name):
            raise PageNotFound(N_("There is no page called '%(name)s'."), name=name)
        new_name = self.check_new_name(new_name, ignore=name)
        if new_name == name:
            raise InvalidPageName(N_("The new name is the same as the old one."))
        if self.exists(new_name) and new_name.casefold() != name.casefold():
            raise InvalidPageName(
                N_("A page called '%(new_name)s' exists already."), new_name=new_name
            )
        linking = self.links_to(name, writable) if rewrite_links else {}
        default = f"Rename {name} to {new_name}" + (
            f" (and the links in {len(linking)} page{'s' if len(linking) != 1 else ''})"
            if linking
            else ""
        )
        self.storage.rename(
            names.to_path(name),
            names.to_path(new_name),
            author=author,
            message=message.strip() or default,
            base_revision=base_revision or None,
            rewrite=self._link_rewriter(name, new_name, linking),
            rewrite_paths=[names.to_path(page) for page in linking],
            companions={names.discussion_path(name): names.discussion_path(new_name)},
        )
        self._committed()
        return new_name

    def links_to(self, name: str, writable=None) -> dict[str, dict[str, str]]:
        """The pages (that `writable(page)` allows) whose links or page reference fields
        point to `name`: page -> its page reference fields (field -> the folder their
        values are relative to)."""
        found: dict[str, dict[str, str]] = {page: {} for page in self.backlinks(name)}
        for finder in self.reference_finders:
            for page, fields in finder(name).items():
                found.setdefault(page, {}).update(fields)
        if writable is not None:
            found = {page: fields for page, fields in found.items() if writable(page)}
        return found

    def count_links_to(self, name: str, writable=None) -> tuple[int, int]:
        """(pages, links) a rename of `name` would rewrite (in the pages `writable` allows)."""
        linking = self.links_to(name, writable)
        exists = self.page_names().__contains__
        links = 0
        for page, fields in linking.items():
            try:
                text = self.storage.read(names.to_path(page))
            except PageNotFound:
                continue
            links += rewrite.rewrite_links(text, page, name, name + "\0", exists, fields)[1]
        return len(linking), links

    def _link_rewriter(self, old: str, new: str, linking: dict[str, dict[str, str]]):
        exists = self.page_names().__contains__  # as the links resolve before the move

        def rewritten(path: str, text: str) -> str:
            page = names.to_name(path)
            # links resolve from where they were written (the moved page: its old place)
            return rewrite.rewrite_links(text, page, old, new, exists, linking.get(page, {}))[0]

        return rewritten
