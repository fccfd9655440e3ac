"""The wiki as a domain service: pages by name, saved, renamed, deleted, restored.

Plain Python: it gets storage, renderer, search index and link table through
its constructor and knows nothing about HTTP. It decides what follows a write
(the search index, the link table, the mirror) and keeps what only changes on
commit (the list of pages, the folder tree, rendered HTML) cached against the
HEAD commit, so every process sharing the repository stays correct without
talking to the others. Its parts: wiki/pages/catalog.py (what exists),
wiki/pages/links.py (backlinks), wiki/pages/indexsync.py (search).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from ..errors import N_
from ..errors import InvalidContent
from ..errors import InvalidPageName
from ..errors import PageNotFound
from ..git.storage import Storage
from ..model import Author
from ..model import Revision
from ..search import SearchIndex
from . import frontmatter
from . import names
from .attachments import Attachments
from .catalog import Catalog
from .catalog import empty_state
from .indexsync import IndexSync
from .linkindex import LinkIndex
from .links import Backlinks
from .renames import Renames
from .render import Rendered
from .render import Renderer
from .rendercache import RenderCache

log = logging.getLogger(__name__)
FOLLOW_QUIET = 0.2  # seconds without a save before the follower catches up
FOLLOW_DELAY = 2.0  # at most this long after a save


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    text: str
    rendered: Rendered
    revision: str | None  # the commit the text was read at (HEAD or the requested one)
    last_change: Revision | None  # the newest commit that changed this page (up to `revision`)
    is_current: bool = True

    @property
    def title(self) -> str:
        return self.rendered.title

    @property
    def meta(self) -> dict:
        return self.rendered.meta


@dataclass(frozen=True)
class SaveResult:
    revision: Revision | None  # None: nothing changed
    name: str

    @property
    def merged_with(self) -> tuple[str, ...]:
        return self.revision.merged_with if self.revision else ()


class Wiki(Catalog, Backlinks, IndexSync, Renames, Attachments):
    """Pages by name over a git content repository. What exists (Catalog), backlinks
    (Backlinks) and the search index (IndexSync) are parts of it in their own modules."""

    def __init__(
        self,
        storage: Storage,
        renderer: Renderer,
        *,
        max_page_bytes: int = 1 << 20,
        render_cache_size: int = 512,  # beyond it, the render store (SQLite) has them
        render_store: RenderCache | None = None,
        index: SearchIndex | None = None,
        links: LinkIndex | None = None,
        mirror=None,
        follow_in_background: bool = False,
    ) -> None:
        self.storage = storage
        # after a save: catch the search index and the link table up in a background
        # thread (a burst of saves becomes one index commit), or at once. Readers of both
        # (search, suggest, backlinks) catch up first either way, so what they answer
        # includes every save that returned before they were asked.
        self.follow_in_background = follow_in_background
        # further checks of a page's text before it is saved: (name or None, text) ->
        # raises InvalidContent (the record types of wiki/records/ add theirs)
        self.validators: list = []
        # more pages a rename rewrites: old name -> {page: {page reference field: folder}}
        # (the record types of wiki/records/ add the pages whose fields name it)
        self.reference_finders: list = []
        # called after every change made here (the notifications follow it)
        self.commit_listeners: list = []
        self._follower: threading.Thread | None = None
        self._follow_wanted = threading.Event()
        self._closing = False
        self.links = links
        self.mirror = mirror  # a Mirror (wiki/git/mirror.py) when UPSTREAM_URL is set
        self.renderer = renderer
        self.render_store = render_store
        self.index = index
        self._rebuild_thread: threading.Thread | None = None
        self.unreadable_files: set[str] = set()  # files whose text could not be read
        self._links_thread: threading.Thread | None = None
        self.max_page_bytes = max_page_bytes
        self._lock = threading.Lock()
        self._state = empty_state()
        self._render_cache: OrderedDict[tuple, tuple[Rendered, tuple]] = OrderedDict()
        self._render_cache_size = render_cache_size
        self._sections: tuple[str | None, list[tuple[str, str]]] = ("", [])

    # -- reading ---------------------------------------------------------------------

    def page(self, name: str, revision: str | None = None, *, visible=None) -> Page:
        """A page at HEAD, or as it was in `revision`; `visible` (name -> bool) says which
        pages the reader may see: links to the others look the same, existing or not.

        :raises PageNotFound: when there is no such page (or revision).
        """
        name = names.normalize(name)
        path = names.to_path(name)
        if revision is None:
            # HEAD is read once: the text, the revision handed out with it and the last
            # change all belong to that commit, whatever lands meanwhile (an editor given
            # a newer base than its text would undo that change when saving)
            state = self.state()
            if name not in state.names:
                raise PageNotFound(N_("There is no page called '%(name)s'."), name=name)
            blob = state.files[path]
            text = self.storage.read_blob(blob)
            rendered = self.render_cached(text, name, key=blob, visible=visible)
            last = self.storage.last_change(path, upto=state.head)
            return Page(name, path, text, rendered, state.head, last)
        commit = self.storage.resolve(revision)
        text = self.storage.read(path, commit)
        rendered = self.render(text, name, visible=visible)
        at = self.storage.last_change(path, upto=commit)
        return Page(name, path, text, rendered, commit, at, is_current=False)

    def snapshot(self, name: str) -> tuple[str | None, str | None]:
        """(text or None when there is no such page, commit it was read at) for an editor:
        the commit is the base revision its save will be merged from."""
        state = self.state()
        blob = state.files.get(names.to_path(name))
        return (self.storage.read_blob(blob) if blob else None), state.head

    def render(self, text: str, name: str, *, strict: bool = False, visible=None) -> Rendered:
        """Render text as the page `name` would show it to a reader who may see the pages
        for which `visible(name)` is true (all when None)."""
        return self.renderer.render(
            text, name=name, exists=self._exists_for(visible), strict=strict
        )

    def _exists_for(self, visible, page_names: frozenset[str] | None = None):
        """Whether a link target is drawn as an existing page: for a page the reader may
        not see, always (so that a link tells nothing about what exists there)."""
        page_names = self.page_names() if page_names is None else page_names
        if visible is None:
            return page_names.__contains__
        return lambda name: name in page_names or not visible(name)

    def render_cached(self, text: str, name: str, *, key: str | None, visible=None) -> Rendered:
        """Render, reusing the result while the text and its links' targets are unchanged.

        Results are kept in memory and, when a render store is configured, on disk
        for every worker. An entry stays valid as long as every page it links to
        still exists (or still does not), so a save elsewhere costs nothing. A reader
        who may not see some linked pages gets its own entry only when one of those
        is missing (an existing one is drawn the same way for everybody).
        """
        if key is None:
            return self.render(text, name, visible=visible)
        page_names = self.page_names()
        rendered, links = self._cached_render(text, name, key, page_names, None)
        if visible is not None and any(
            not existed and not visible(link) for link, existed in links
        ):
            hidden = tuple(sorted(link for link, _ in links if not visible(link)))
            rendered, _ = self._cached_render(text, name, key, page_names, visible, variant=hidden)
        return rendered

    def _cached_render(self, text, name, key, page_names, visible, variant=()):
        exists = self._exists_for(visible, page_names)
        cache_key = (key, name, variant)

        def valid(links: tuple) -> bool:
            return all(exists(link) == existed for link, existed in links)

        with self._lock:
            hit = self._render_cache.get(cache_key)
            if hit is not None and valid(hit[1]):
                self._render_cache.move_to_end(cache_key)
                return hit
        store = self.render_store if not variant else None
        stored = store.get(key, name) if store else None
        if stored is not None and valid(stored[1]):
            rendered, links = stored
        else:
            rendered = self.renderer.render(text, name=name, exists=exists)
            links = tuple((link, exists(link)) for link in sorted(set(rendered.links)))
            if store is not None:
                store.put(key, name, rendered, links)
        with self._lock:
            self._render_cache[cache_key] = (rendered, links)
            while len(self._render_cache) > self._render_cache_size:
                self._render_cache.popitem(last=False)
        return rendered, links

    def source(self, name: str, revision: str | None = None) -> str:
        """The raw Markdown of a page.

        :raises PageNotFound: when there is none.
        """
        path = names.to_path(name)
        return self.storage.read(path, self.storage.resolve(revision) if revision else None)

    def history(
        self, name: str, *, limit: int = 50, offset: int = 0, upto: str | None = None
    ) -> list[Revision]:
        """A page's revisions, newest first (as of commit `upto`, when given)."""
        return self.storage.history(names.to_path(name), limit=limit, offset=offset, upto=upto)

    def recent(self, *, limit: int = 50, offset: int = 0, readable=None) -> list[Revision]:
        """The newest commits; with `readable` (page name -> bool), only those that
        changed a page the reader may see, shown by such a page."""
        visible = None
        if readable is not None:

            def visible(path: str) -> bool:
                return readable(names.to_name(path) if names.is_page_path(path) else path)

        return self.storage.history(None, limit=limit, offset=offset, visible=visible)

    def diff(self, name: str, rev_a: str, rev_b: str) -> tuple[str, str, str, str]:
        """(text_a, text_b, sha_a, sha_b) of a page in two revisions, following renames."""
        path = names.to_path(name)
        sha_a, sha_b = self.storage.resolve(rev_a), self.storage.resolve(rev_b)
        texts = []
        for sha in (sha_a, sha_b):
            texts.append(self._text_in(path, sha))
        return texts[0], texts[1], sha_a, sha_b

    def _text_in(self, path: str, sha: str) -> str:
        """The page's text in a commit, under the name it had then (renames)."""
        try:
            return self.storage.read(path, sha)
        except PageNotFound:
            pass
        rev = self.storage.change_at(path, sha)
        if rev is None or not rev.path:
            return ""
        try:
            return self.storage.read(rev.path, sha)
        except PageNotFound:
            return ""

    def path_at(self, name: str, sha: str) -> str | None:
        """The path the page had in a revision of its history, if any."""
        rev = self.storage.change_at(names.to_path(name), sha)
        return rev.path if rev is not None and rev.status != "D" else None

    def renamed_to(self, name: str) -> str | None:
        """Where a page that no longer exists went, following a chain of renames."""
        try:
            path = names.to_path(name)
        except InvalidPageName:
            return None
        for _ in range(20):
            new = self.storage.renamed_to(path)
            if new is None:
                return None
            if self.storage.exists(new):
                return names.to_name(new)
            path = new
        return None

    # -- writing ---------------------------------------------------------------------

    def check_new_name(self, name: str, *, ignore: str | None = None) -> str:
        """Normalize a name for a new page and refuse names that clash by letter case.

        :raises InvalidPageName: naming the problem.
        """
        name = names.normalize(name)
        if name != ignore and self.exists(name):
            return name
        clash = self.case_clash(name, ignore=ignore)
        if clash is not None:
            raise InvalidPageName(
                f"'{name}' differs only by letter case from the existing '{clash}'; such names "
                "cannot both exist in a clone on Windows or macOS. Use the existing one."
            )
        return name

    def check_text(self, text: str, name: str | None = None) -> None:
        """Refuse text that cannot be saved (too large, bad front matter, a record field
        of the wrong kind).

        :raises InvalidContent: naming the problem (and the line for YAML errors).
        """
        size = len(text.encode("utf-8"))
        if size > self.max_page_bytes:
            raise InvalidContent(
                f"The page is too large ({size // 1024} KiB; at most "
                f"{self.max_page_bytes // 1024} KiB)."
            )
        if "\x00" in text:
            raise InvalidContent(N_("The text contains a NUL character, which a page cannot hold."))
        frontmatter.parse(text, strict=True)
        for validator in self.validators:
            validator(name, text)

    def save_page(
        self, name: str, text: str, *, author: Author, message: str, base_revision: str | None
    ) -> SaveResult:
        """Save a page as one commit (merging concurrent edits).

        :raises InvalidPageName, InvalidContent, EditConflict:
        """
        name = self.check_new_name(name)
        self.check_text(text, name)
        if text.strip() == "":
            raise InvalidContent(N_("The page is empty. To remove a page, delete it instead."))
        message = message.strip() or (f"Update {name}" if self.exists(name) else f"Create {name}")
        rev = self.storage.write(
            names.to_path(name),
            text,
            author=author,
            message=message,
            base_revision=base_revision or None,
        )
        self._committed()
        return SaveResult(rev, name)

    def delete_page(
        self, name: str, *, author: Author, message: str = "", base_revision: str | None = None
    ) -> Revision:
        """Delete a page in one commit (it stays in history and can be restored); refused
        when it changed after `base_revision`, the commit the user saw it at.

        :raises PageNotFound, EditConflict:
        """
        name = names.normalize(name)
        rev = self.storage.delete(
            names.to_path(name),
            author=author,
            message=message.strip() or f"Delete {name}",
            base_revision=base_revision or None,
        )
        self._committed()
        return rev

    def restore_page(
        self, name: str, revision: str, *, author: Author, base_revision: str | None = None
    ) -> SaveResult:
        """Make an old revision of a page current again, as a new commit.

        `base_revision` is the commit the user saw the history at: a change made after
        it is kept where it does not overlap the restore (a three-way merge, as for
        saves), and refused where it does.

        :raises PageNotFound: when the page did not exist in that revision;
            EditConflict: when the page changed meanwhile on the same lines.
        """
        name = names.normalize(name)
        sha = self.storage.resolve(revision)
        path = self.path_at(name, sha) or names.to_path(name)
        text = self.storage.read(path, sha)
        rev = self.storage.write(
            names.to_path(name),
            text,
            author=author,
            message=f"Restore {name} to revision {sha[:8]}",
            base_revision=base_revision or self.storage.head(),
        )
        self._committed()
        return SaveResult(rev, name)

    # -- what follows a change ---------------------------------------------------------

    def _start_once(self, slot: str, target, name: str) -> None:
        """Run `target` in a background thread kept in attribute `slot`, unless the
        previous one is still running (the search index and link table rebuilds)."""
        with self._lock:
            running = getattr(self, slot)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=target, name=name, daemon=True)
            setattr(self, slot, thread)
            thread.start()

    def _committed(self) -> None:
        """What follows every change made here: the search index, the link table, and
        the mirror."""
        if self.follow_in_background:
            self._follow_wanted.set()
            self._start_once("_follower", self._follow_loop, "follow-commits")
        else:
            self._follow()
        if self.mirror is not None:
            self.mirror.push_soon()
        for listener in self.commit_listeners:
            listener()

    def _follow(self) -> None:
        try:
            self.sync_index()
            self.sync_links()
        except Exception:  # the save stands; the next reader catches up
            log.exception("the search index or the link table could not catch up")

    def _follow_loop(self) -> None:
        """The background follower: one catch-up for however many commits came meanwhile,
        once saves paused for FOLLOW_QUIET seconds (at most FOLLOW_DELAY after the first),
        so that it does not take the processor from a burst of saves; ends after a quiet
        minute (the next save starts it again), or after a last catch-up on close()."""
        while self._follow_wanted.wait(60.0):
            self._follow_wanted.clear()
            until = time.monotonic() + FOLLOW_DELAY
            while (
                not self._closing
                and time.monotonic() < until
                and self._follow_wanted.wait(FOLLOW_QUIET)
            ):
                self._follow_wanted.clear()
            self._follow()
            if self._closing:
                return

    def close(self) -> None:
        """Stop the background follower, after it caught up with this process's saves."""
        self._closing = True
        self._follow_wanted.set()
        follower = self._follower
        if follower is not None:
            follower.join(30.0)

    def after_external_change(self) -> None:
        """Catch up with commits that arrived from outside (a push, a pull from upstream):
        the revision table, then the search index, then the mirror. Other caches follow
        HEAD by themselves."""
        self.storage.sync_revindex()
        self._committed()
