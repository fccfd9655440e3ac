"""The pages of a commit: their names, the folder tree and the top-level sections.

Plain Python, no Flask. A `State` is made per commit of `main` from the previous
one by changing only what the new commits touched, and never changes after, so
everything read from one belongs to the same snapshot. `Catalog` is a part of
`Wiki` (wiki/pages/service.py), which gives it `storage`, `renderer`, `_lock`, `_state`
and `_sections`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from . import names


@dataclass(slots=True)
class TreeNode:
    name: str  # full name of the folder or page
    label: str
    is_page: bool = False
    children: dict[str, TreeNode] = field(default_factory=dict)
    _sorted: list[TreeNode] | None = field(default=None, repr=False, compare=False)
    _count: int | None = field(default=None, repr=False, compare=False)
    _folded: dict[str, tuple[str, ...]] | None = field(default=None, repr=False, compare=False)

    def folded_children(self) -> dict[str, tuple[str, ...]]:
        """The children's segments by their casefold (kept: a published tree never changes;
        a changed copy of a node carries it over, see _tree_with)."""
        if self._folded is None:
            folded: dict[str, tuple[str, ...]] = {}
            for part in self.children:
                key = part.casefold()
                folded[key] = (*folded.get(key, ()), part)
            self._folded = folded
        return self._folded

    def copy(self) -> TreeNode:
        """A copy to change (its children shared, their index copied along)."""
        node = TreeNode(self.name, self.label, self.is_page, dict(self.children))
        if self._folded is not None:
            node._folded = dict(self._folded)
        return node

    def _adopt(self, part: str, child: TreeNode) -> None:
        if self._folded is not None and part not in self.children:
            key = part.casefold()
            self._folded[key] = (*self._folded.get(key, ()), part)
        self.children[part] = child

    def _drop(self, part: str) -> None:
        del self.children[part]
        if self._folded is not None:
            key = part.casefold()
            rest = tuple(p for p in self._folded.get(key, ()) if p != part)
            if rest:
                self._folded[key] = rest
            else:
                self._folded.pop(key, None)

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
class State:
    """The pages of one commit: never changed once made (a new commit makes a new one)."""

    head: str | None
    files: dict[str, str]  # path -> blob sha
    names: frozenset[str]
    tree: TreeNode  # its nodes index their children by casefold (canonical, case_clash)


def empty_state() -> State:
    return State(head="", files={}, names=frozenset(), tree=TreeNode("", ""))


class Catalog:
    """What exists at HEAD (a part of Wiki)."""

    def head(self) -> str | None:
        return self.storage.head()

    def state(self, head: str | None | object = None) -> State:
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
            changed = self.storage.changed_paths(state.head, head) if state.head and head else None
            if changed is None:  # compare every path
                added_paths = files.keys() - old.keys()
                removed_paths = old.keys() - files.keys()
            else:  # only those the commits since touched
                added_paths = [p for p in changed if p in files and p not in old]
                removed_paths = [p for p in changed if p in old and p not in files]
            added = [names.to_name(p) for p in added_paths if names.is_page_path(p)]
            removed = [names.to_name(p) for p in removed_paths if names.is_page_path(p)]
            if old and not added and not removed:  # pages changed, none came or went
                page_names, tree = state.names, state.tree
            elif not old or len(added) + len(removed) > len(files) // 2:
                page_names = frozenset(names.to_name(p) for p in files if names.is_page_path(p))
                tree = _tree_with(TreeNode("", ""), page_names, ())
            else:
                page_names = (state.names - frozenset(removed)) | frozenset(added)
                tree = _tree_with(state.tree, added, removed)
            state = State(head, files, page_names, tree)
            self._state = state
            return state

    def page_names(self) -> frozenset[str]:
        """Every page name at HEAD (cached until the next commit)."""
        return self.state().names

    def exists(self, name: str) -> bool:
        return name in self.page_names()

    def canonical(self, name: str) -> str | None:
        """The existing page a name refers to ignoring letter case, if any (the spelling
        given is preferred at every folder, where an old clash left two)."""
        return _canonical(self.state().tree, name.split("/"))

    def case_clash(self, name: str, *, ignore: str | None = None) -> str | None:
        """An existing page or folder whose name differs from `name` (or one of its folders)
        only by letter case; a page `ignore` (being renamed) does not count. What
        `names.case_clash` says, found by walking the tree instead of every name."""
        node = self.state().tree
        for part in name.split("/"):
            nxt = None
            for spelling in node.folded_children().get(part.casefold(), ()):
                child = node.children[spelling]
                if ignore is not None and _only_for(child, ignore):
                    continue
                if spelling != part:
                    return child.name
                nxt = child
            if nxt is None:
                return None
            node = nxt
        return None

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


def _canonical(node: TreeNode, parts: list[str]) -> str | None:
    part, rest = parts[0], parts[1:]
    spellings = node.folded_children().get(part.casefold(), ())
    for spelling in sorted(spellings, key=lambda s: s != part):
        child = node.children[spelling]
        found = _canonical(child, rest) if rest else (child.name if child.is_page else None)
        if found is not None:
            return found
    return None


def _only_for(node: TreeNode, page: str) -> bool:
    """Whether `node` is there only because of `page` (itself, or the one page in it)."""
    if node.name != page and not page.startswith(node.name + "/"):
        return False
    return node.count() + node.is_page == 1


def _tree_with(root: TreeNode, added, removed) -> TreeNode:
    """A new tree with pages added and removed; nodes off the changed paths are shared.

    Trees are never changed in place, so a request still holding the old one
    (and its cached orderings) sees a consistent picture.
    """
    new_root = root.copy()
    fresh = {id(new_root)}

    def own(parent: TreeNode, part: str, full: str) -> TreeNode:
        child = parent.children.get(part)
        if child is None:
            child = TreeNode(full, part)
        elif id(child) not in fresh:
            child = child.copy()
        else:
            return child
        fresh.add(id(child))
        parent._adopt(part, child)
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
                parent._drop(part)
    for name in added:
        parts = name.split("/")
        node = new_root
        for i, part in enumerate(parts[:-1]):
            node = own(node, part, "/".join(parts[: i + 1]))
        node = own(node, parts[-1], name)  # the page's node shares the name's string
        node.is_page = True
    return new_root
