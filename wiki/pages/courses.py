"""Courses: a folder whose home page says `type: course` and lists its modules, the pages
of the folder it links to, in the order it links them (reordering the list reorders the
course). A module page shows where it is in its course; the course home shows the
course's sessions (event records naming it, wiki/events/) and each module's materials
(the files the module page shows or links to).

Plain Python, no Flask: it reads through the `Wiki` it is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import frontmatter
from . import names

COURSE_TYPE = "course"


@dataclass(frozen=True)
class Course:
    home: str  # the course's home page, e.g. "Training/S3 course/Home"
    title: str
    modules: tuple[str, ...]  # module pages in order
    titles: dict[str, str]

    @property
    def folder(self) -> str:
        return names.folder(self.home)

    def position(self, name: str) -> int | None:
        """1 for the first module; None for a page that is not a module."""
        try:
            return self.modules.index(name) + 1
        except ValueError:
            return None

    def neighbours(self, name: str) -> tuple[str | None, str | None]:
        at = self.position(name)
        if at is None:
            return None, None
        before = self.modules[at - 2] if at > 1 else None
        after = self.modules[at] if at < len(self.modules) else None
        return before, after


_COURSES: dict[tuple, Course | None] = {}  # (head, folder) -> its course (a page view each)


def course_of(wiki, name: str, visible=None) -> Course | None:
    """The course a page belongs to (as a module or as its home), or None. The modules are
    those every reader of the course's space may read (one space holds the folder)."""
    folder = names.folder(name)
    if not folder:
        return None
    home = f"{folder}/{names.HOME}"
    if not wiki.exists(home) or (visible is not None and not visible(home)):
        return None
    key = (id(wiki), wiki.head(), folder)
    if key not in _COURSES:
        if len(_COURSES) > 512:
            _COURSES.clear()
        _COURSES[key] = _read_course(wiki, home, folder)
    return _COURSES[key]


def _read_course(wiki, home: str, folder: str) -> Course | None:
    blob = wiki.state().files.get(names.to_path(home))
    if blob is None:
        return None
    meta = frontmatter.parse(wiki.storage.read_blob(blob), strict=False).meta
    if meta.get("type") != COURSE_TYPE:
        return None  # a folder's ordinary home page: nothing drawn for it
    page = wiki.page(home)
    modules: list[str] = []
    for target in page.rendered.links:
        if (
            target != home
            and names.folder(target) == folder
            and target not in modules
            and wiki.exists(target)
        ):
            modules.append(target)
    titles = {}
    for module in modules:
        try:
            titles[module] = wiki.page(module).title
        except Exception:
            titles[module] = names.leaf(module)
    return Course(home, page.title, tuple(modules), titles)


def materials(wiki, course: Course, visible=None) -> dict[str, list[str]]:
    """Each module's files: those its page shows or links to (from the page table) that
    `visible(path)` allows: a file of a space the reader may not read is not named, nor
    told apart from a missing one."""
    head = wiki.head()
    if wiki.links is None or head is None or not wiki.page_table_ready(head):
        return {}
    files = wiki.storage.files_at(head)
    found = {}
    for module in course.modules:
        targets = wiki.links.targets(module)
        found[module] = sorted(
            (
                t
                for t in targets
                if t in files and not t.endswith(names.SUFFIX) and (visible is None or visible(t))
            ),
            key=str.casefold,
        )
    return found
