"""The wiki as a domain service: pages by name, saved, renamed, deleted, restored.

Plain Python: it gets storage and renderer through its constructor and knows
nothing about HTTP. It decides what follows a write (caches, and later the
search index) and keeps what only changes on commit (the list of pages, the
folder tree, rendered HTML) cached against the HEAD commit, so every process
sharing the repository stays correct without talking to the others.
"""

from __future__ import annotations

import functools
import logging
import subprocess
import threading
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from urllib.parse import quote

from . import frontmatter
from . import names
from .errors import InvalidContent
from .errors import InvalidPageName
from .errors import PageNotFound
from .linkindex import LinkIndex
from .locks import exclusive
from .model import Author
from .model import Revision
from .render import Rendered
from .render import Renderer
from .rendercache import RenderCache
from .search import PageDoc
from .search import Results
from .search import SearchIndex
from .storage import Storage

log = logging.getLogger(__name__)

# More changed pages than this since the link table's commit: rebuild it in the background
# rather than make one request read them all.
_LINKS_CATCH_UP = 2000


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


@dataclass
class TreeNode:
    name: str  # full name of the folder or page
    label: str
    is_page: bool = False
    children: dict[str, TreeNode] = field(default_factory=dict)
    _sorted: list[TreeNode] | None = field(default=None, repr=False, compare=False)
    _count: int | None = field(default=None, repr=False, compare=False)

    def sorted_children(self) -> list[TreeNode]:
        # a tree is built once per commit and never changed, so the order is kept
        if self._sorted is None:
            self._sorted = sorted(
                self.children.values(), key=lambda n: (n.label.casefold(), n.label)
            )
        return self._sorted

    def count(self) -> int:
        if self._count is None:
            self._count = sum(1 for _ in self.iter_pages())
        return self._count

    def iter_pages(self):
        for child in self.children.values():
            if child.is_page:
                yield child
            yield from child.iter_pages()


@dataclass(frozen=True)
class _State:
    """The pages of one commit: never changed once made (a new commit makes a new one)."""

    head: str | None
    files: dict[str, str]  # path -> blob sha
    names: frozenset[str]
    folded: dict[str, str]  # casefolded name -> name
    tree: TreeNode


@dataclass(frozen=True)
class SaveResult:
    revision: Revision | None  # None: nothing changed
    name: str

    @property
    def merged_with(self) -> tuple[str, ...]:
        return self.revision.merged_with if self.revision else ()


class Wiki:
    """Pages by name over a git content repository."""

    def __init__(
        self,
        storage: Storage,
        renderer: Renderer,
        *,
        max_page_bytes: int = 1 << 20,
        render_cache_size: int = 2048,
        render_store: RenderCache | None = None,
        index: SearchIndex | None = None,
        links: LinkIndex | None = None,
        mirror=None,
    ) -> None:
        self.storage = storage
        self.links = links
        self.mirror = mirror  # a Mirror (wiki/mirror.py) when UPSTREAM_URL is set
        self.renderer = renderer
        self.render_store = render_store
        self.index = index
        self._rebuild_thread: threading.Thread | None = None
        self._links_thread: threading.Thread | None = None
        self.max_page_bytes = max_page_bytes
        self._lock = threading.Lock()
        self._state = _State(head="", files={}, names=frozenset(), folded={},
                             tree=TreeNode("", ""))
        self._render_cache: OrderedDict[tuple, tuple[Rendered, tuple]] = OrderedDict()
        self._render_cache_size = render_cache_size
        self._sections: tuple[str | None, list[tuple[str, str]]] = ("", [])

    # -- what exists ---------------------------------------------------------------

    def head(self) -> str | None:
        return self.storage.head()

    def state(self, head: str | None | object = None) -> _State:
        """The pages of one commit (HEAD, read once, unless `head` is given), derived from
        the previous state by changing only what the new commits touched. A state never
        changes, so everything read from one belongs to the same snapshot."""
        if head is None:
            head = self.storage.head()
        state = self._state
        if state.head == head:
            return state
        with self._lock:
            state = self._state
            if state.head == head:
                return state
            files = self.storage.files_at(head)
            old = state.files
            added = [names.to_name(p) for p in files.keys() - old.keys() if names.is_page_path(p)]
            removed = [names.to_name(p) for p in old.keys() - files.keys() if names.is_page_path(p)]
            if not old or len(added) + len(removed) > len(files) // 2:
                page_names = frozenset(names.to_name(p) for p in files if names.is_page_path(p))
                tree = _tree_with(TreeNode("", ""), page_names, ())
                folded = {n.casefold(): n for n in page_names}
            else:
                page_names = (state.names - frozenset(removed)) | frozenset(added)
                tree = _tree_with(state.tree, added, removed) if added or removed else state.tree
                folded = dict(state.folded)
                for name in removed:
                    folded.pop(name.casefold(), None)
                folded.update((name.casefold(), name) for name in added)
            state = _State(head, files, page_names, folded, tree)
            self._state = state
            return state

    def page_names(self) -> frozenset[str]:
        """Every page name at HEAD (cached until the next commit)."""
        return self.state().names

    def exists(self, name: str) -> bool:
        return name in self.page_names()

    def canonical(self, name: str) -> str | None:
        """The existing page a name refers to ignoring letter case, if any."""
        return self.state().folded.get(name.casefold())

    def tree(self) -> TreeNode:
        """All pages as folders (cached until the next commit)."""
        return self.state().tree

    def sections(self) -> list[tuple[str, str]]:
        """Top-level folders as (link name, title): the working groups and other spaces."""
        state = self.state()
        cached = self._sections
        if cached[0] == state.head:
            return cached[1]
        result = []
        for node in state.tree.sorted_children():
            if node.children:
                home = f"{node.name}/{names.HOME}"
                title = node.label
                if home in state.names:
                    text = self.storage.read_blob(state.files[names.to_path(home)])
                    title = self.renderer.title(text, default=node.label)
                result.append((node.name, title))
        self._sections = (state.head, result)
        return result

    def subtree(self, folder: str) -> TreeNode | None:
        node = self.tree()
        if not folder:
            return node
        for part in folder.split("/"):
            node = node.children.get(part)
            if node is None:
                return None
        return node

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
                raise PageNotFound(f"There is no page called '{name}'.")
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
        return self.renderer.render(text, name=name, exists=self._exists_for(visible),
                                    strict=strict)

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
            rendered, _ = self._cached_render(text, name, key, page_names, visible,
                                              variant=hidden)
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

    def history(self, name: str, *, limit: int = 50, offset: int = 0,
                upto: str | None = None) -> list[Revision]:
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

    def _links_of(self, path: str, files: dict[str, str]) -> tuple[str, ...]:
        if path not in files:
            return ()
        text = self.storage.read_blob(files[path])
        return tuple(self.render_cached(text, names.to_name(path), key=files[path]).links)

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
        pages = {names.to_name(p): self._links_of(p, files)
                 for p in changed if names.is_page_path(p)}
        return self.links.update(old, head, pages) or self.links.head() == head

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
                yield names.to_name(path), self._links_of(path, files)
                if progress is not None and done % 200 == 0:
                    progress(done)
            if progress is not None:
                progress(len(paths))

        return self.links.replace_all(head, read())

    def start_links_rebuild(self) -> None:
        """Build the link table in a background thread (one per process)."""
        if self.links is None:
            return
        with self._lock:
            if self._links_thread is not None and self._links_thread.is_alive():
                return
            self._links_thread = threading.Thread(target=self._rebuild_links_quietly,
                                                  name="links-rebuild", daemon=True)
            self._links_thread.start()

    def _rebuild_links_quietly(self) -> None:
        try:
            self.rebuild_links()
        except Exception:
            log.exception("building the link table failed")

    def _backlinks_by_grep(self, name: str, head: str) -> list[str]:
        files = self.storage.files_at(head)
        leaf = names.leaf(name)
        patterns = {leaf, quote(leaf), leaf.replace(" ", "%20")}
        args = ["git", "--git-dir", str(self.storage.git_dir), "grep", "-l", "-F", "-i", "-z"]
        for pat in sorted(patterns):
            args += ["-e", pat]
        args += [head, "--", "*.md"]
        proc = subprocess.run(args, capture_output=True)
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
            if name in self._links_of(path, files):
                found.append(other)
        return sorted(found, key=str.casefold)

    # -- writing ---------------------------------------------------------------------

    def check_new_name(self, name: str, *, ignore: str | None = None) -> str:
        """Normalize a name for a new page and refuse names that clash by letter case.

        :raises InvalidPageName: naming the problem.
        """
        name = names.normalize(name)
        if name != ignore and self.exists(name):
            return name
        clash = names.case_clash(name, self.page_names(), ignore=ignore)
        if clash is not None:
            raise InvalidPageName(
                f"'{name}' differs only by letter case from the existing '{clash}'; such names "
                "cannot both exist in a clone on Windows or macOS. Use the existing one."
            )
        return name

    def check_text(self, text: str) -> None:
        """Refuse text that cannot be saved (too large, bad front matter).

        :raises InvalidContent: naming the problem (and the line for YAML errors).
        """
        size = len(text.encode("utf-8"))
        if size > self.max_page_bytes:
            raise InvalidContent(
                f"The page is too large ({size // 1024} KiB; at most "
                f"{self.max_page_bytes // 1024} KiB)."
            )
        if "\x00" in text:
            raise InvalidContent("The text contains a NUL character, which a page cannot hold.")
        frontmatter.parse(text, strict=True)

    def save_page(
        self, name: str, text: str, *, author: Author, message: str, base_revision: str | None
    ) -> SaveResult:
        """Save a page as one commit (merging concurrent edits).

        :raises InvalidPageName, InvalidContent, EditConflict:
        """
        name = self.check_new_name(name)
        self.check_text(text)
        if text.strip() == "":
            raise InvalidContent("The page is empty. To remove a page, delete it instead.")
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

    def rename_page(self, name: str, new_name: str, *, author: Author, message: str = "",
                    base_revision: str | None = None) -> str:
        """Rename a page in one commit and return the new name (refused when it changed
        after `base_revision`, the commit the user saw it at).

        :raises PageNotFound, InvalidPageName, EditConflict:
        """
        name = names.normalize(name)
        if not self.exists(name):
            raise PageNotFound(f"There is no page called '{name}'.")
        new_name = self.check_new_name(new_name, ignore=name)
        if new_name == name:
            raise InvalidPageName("The new name is the same as the old one.")
        if self.exists(new_name) and new_name.casefold() != name.casefold():
            raise InvalidPageName(f"A page called '{new_name}' exists already.")
        self.storage.rename(
            names.to_path(name),
            names.to_path(new_name),
            author=author,
            message=message.strip() or f"Rename {name} to {new_name}",
            base_revision=base_revision or None,
        )
        self._committed()
        return new_name

    def delete_page(self, name: str, *, author: Author, message: str = "",
                    base_revision: str | None = None) -> Revision:
        """Delete a page in one commit (it stays in history and can be restored); refused
        when it changed after `base_revision`, the commit the user saw it at.

        :raises PageNotFound, EditConflict:
        """
        name = names.normalize(name)
        rev = self.storage.delete(
            names.to_path(name), author=author, message=message.strip() or f"Delete {name}",
            base_revision=base_revision or None,
        )
        self._committed()
        return rev

    def restore_page(self, name: str, revision: str, *, author: Author,
                     base_revision: str | None = None) -> SaveResult:
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

    # -- search ----------------------------------------------------------------------

    def search(self, text: str, *, filters: dict[str, str] | None = None,
               sort: str = "relevance", page: int = 1, restrict=None) -> Results:
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

    def _committed(self) -> None:
        """What follows every change made here: the search index, the link table, and
        the mirror."""
        self.sync_index()
        try:
            self.sync_links()
        except Exception:  # the save stands; the next request catches up
            log.exception("the link table could not catch up")
        if self.mirror is not None:
            self.mirror.push_soon()

    def after_external_change(self) -> None:
        """Catch up with commits that arrived from outside (a push, a pull from upstream):
        the revision table, then the search index, then the mirror. Other caches follow
        HEAD by themselves."""
        self.storage.sync_revindex()
        self._committed()

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
            done = self.index.catch_up(head, self.storage.changed_paths,
                                       functools.partial(self.load_documents, at=head),
                                       wait=5.0)
        except Exception:
            log.exception("the search index could not catch up; rebuilding it")
            done = False
            self.start_rebuild()
            return
        if not done and self.index.head() != head and self.index.is_ready():
            old = self.index.head()
            if old and self.storage.changed_paths(old, head) is None:
                self.start_rebuild()  # history was rewritten

    def rebuild_index(self, progress=None, packing=None) -> int:
        """Index every page from scratch (the index stays usable until the new one is in).
        `progress(pages)` and `packing(done, total)` follow the two stages."""
        assert self.index is not None
        head = self.storage.head()
        paths = sorted(p for p in self.storage.files_at(head) if names.is_page_path(p))
        return self.index.rebuild(head, paths, functools.partial(self.load_documents, at=head),
                                  progress, packing)

    def start_rebuild(self) -> None:
        """Rebuild the index in a background thread (one per process, one process at a time)."""
        if self.index is None:
            return
        with self._lock:
            if self._rebuild_thread is not None and self._rebuild_thread.is_alive():
                return
            self._rebuild_thread = threading.Thread(target=self._rebuild_locked,
                                                    name="search-rebuild", daemon=True)
            self._rebuild_thread.start()

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
        return (indexed != head and head is not None
                and self.storage.changed_paths(indexed, head) is None)

    def is_index_rebuilding(self) -> bool:
        return self._rebuild_thread is not None and self._rebuild_thread.is_alive()

    def load_documents(self, paths: list[str], *, at: str | None = None):
        """The pages at these paths in commit `at` (default HEAD), as documents for the
        search index: text and last change of the same commit."""
        at = self.storage.head() if at is None else at
        files = self.storage.files_at(at)
        for path in paths:
            if not names.is_page_path(path) or path not in files:
                continue
            name = names.to_name(path)
            text = self.storage.read_blob(files[path])
            rendered = self.render_cached(text, name, key=files[path])
            last = self.storage.last_change(path, upto=at)
            yield PageDoc(
                name=name,
                title=rendered.title,
                text=rendered.text,
                headings=[h.text for h in rendered.toc],
                meta=rendered.meta,
                author=last.author.name if last else "",
                modified=last.date if last else datetime.now(UTC),
                language=str(rendered.meta.get("lang") or ""),
            )


def _tree_with(root: TreeNode, added, removed) -> TreeNode:
    """A new tree with pages added and removed; nodes off the changed paths are shared.

    Trees are never changed in place, so a request still holding the old one
    (and its cached orderings) sees a consistent picture.
    """
    new_root = TreeNode(root.name, root.label, root.is_page, dict(root.children))
    fresh = {id(new_root)}

    def own(parent: TreeNode, part: str, full: str) -> TreeNode:
        child = parent.children.get(part)
        if child is None:
            child = TreeNode(full, part)
        elif id(child) not in fresh:
            child = TreeNode(child.name, child.label, child.is_page, dict(child.children))
        else:
            return child
        fresh.add(id(child))
        parent.children[part] = child
        return child

    for name in removed:
        parts = name.split("/")
        trail = [new_root]
        node = new_root
        for i, part in enumerate(parts):
            if part not in node.children:
                break
            node = own(node, part, "/".join(parts[: i + 1]))
            trail.append(node)
        else:
            node.is_page = False
            for parent, child, part in zip(
                reversed(trail[:-1]), reversed(trail[1:]), reversed(parts), strict=True
            ):
                if child.is_page or child.children:
                    break
                del parent.children[part]
    for name in added:
        parts = name.split("/")
        node = new_root
        for i, part in enumerate(parts):
            node = own(node, part, "/".join(parts[: i + 1]))
        node.is_page = True
    return new_root
