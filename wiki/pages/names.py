"""Page name <-> repository path rules; the only place they live.

A page has two identities: its *name* ("WG4/Cluster financing", used in URLs,
links and titles) and its *path* ("WG4/Cluster financing.md", the file in the
content repository). Names stay readable in a clone: the path is the name plus
".md". Names that would break a clone on Windows or macOS are refused.

No Flask imports.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from ..errors import N_
from ..errors import InvalidPageName

SUFFIX = ".md"
# A page's discussion lives beside it: "WG4/Foo.md" -> "WG4/Foo.discussion.md" (plain
# Markdown in a clone, moves with the page; no page name may end with ".discussion")
DISCUSSION = ".discussion"
DISCUSSION_SUFFIX = DISCUSSION + SUFFIX
HOME = "Home"
MAX_NAME_CHARS = 200  # whole name, without the suffix
MAX_COMPONENT_BYTES = 120  # per folder or file name, UTF-8 bytes (filesystems allow 255)

_FORBIDDEN_CHARS = set('<>:"|?*\\')
_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
_RESERVED |= {f"COM{i}" for i in "123456789¹²³"} | {f"LPT{i}" for i in "123456789¹²³"}
_WHITESPACE_RUN = re.compile(r" {2,}")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf") and ch not in ("\u200d",)


def normalize(name: str) -> str:
    """Return the canonical form of a user-typed name (NFC, single slashes, trimmed).

    :raises InvalidPageName: when the name cannot be a page name.
    """
    if not isinstance(name, str):
        raise InvalidPageName(N_("A page name must be text."))
    return _normalized(name)


@functools.lru_cache(maxsize=8192)
def _normalized(name: str) -> str:
    # every request normalizes its page name (and drawing a page its links): the rules
    # are pure, so the answers are kept (a refused name raises again each time)
    name = unicodedata.normalize("NFC", name)
    parts = [p for p in name.strip().strip("/").split("/")]
    parts = [_WHITESPACE_RUN.sub(" ", p) if p.strip() else p for p in parts]
    name = "/".join(parts)
    validate(name)
    return name


def validate(name: str) -> None:
    """Check a normalized name against the rules that keep clones portable.

    :raises InvalidPageName: naming the rule that was broken.
    """
    if not name:
        raise InvalidPageName(N_("The page name is empty."))
    if len(name) > MAX_NAME_CHARS:
        raise InvalidPageName(
            N_("The page name is too long (at most %(max_name_chars)s characters)."),
            max_name_chars=MAX_NAME_CHARS,
        )
    for part in name.split("/"):
        _validate_component(part)
    if name.casefold().endswith(DISCUSSION):
        raise InvalidPageName(
            N_("A page name cannot end with '.discussion': such files hold discussions.")
        )


def _validate_component(part: str) -> None:
    if part == "":
        raise InvalidPageName(N_("The page name has an empty folder (two slashes in a row)."))
    if part in (".", ".."):
        raise InvalidPageName(N_("'.' and '..' cannot be used as page or folder names."))
    bad = sorted({ch for ch in part if ch in _FORBIDDEN_CHARS})
    if bad:
        raise InvalidPageName(
            "Page names cannot contain " + " ".join(bad) + " (they break clones on Windows)."
        )
    if any(_is_control(ch) for ch in part):
        raise InvalidPageName(
            N_("Page names cannot contain control or invisible format characters.")
        )
    if part != part.rstrip(" ."):
        raise InvalidPageName(N_("A page or folder name cannot end with a dot or a space."))
    if part != part.lstrip(" "):
        raise InvalidPageName(N_("A page or folder name cannot start with a space."))
    if part.startswith("-"):
        raise InvalidPageName(N_("A page or folder name cannot start with '-'."))
    if part.startswith("."):
        raise InvalidPageName(N_("A page or folder name cannot start with '.' (hidden files)."))
    if part.casefold() == ".git" or part.casefold().startswith(".git"):
        raise InvalidPageName(N_("'.git' is reserved by git."))
    stem = part.split(".")[0].rstrip(" ").upper()
    if stem in _RESERVED:
        raise InvalidPageName(N_("'%(part)s' is a reserved device name on Windows."), part=part)
    if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
        raise InvalidPageName(
            f"A page or folder name is too long (at most {MAX_COMPONENT_BYTES} bytes each)."
        )


def to_path(name: str) -> str:
    """Return the repository path of a page name (normalizing and validating it).

    :raises InvalidPageName: when the name breaks a rule.
    """
    return normalize(name) + SUFFIX


def is_page_path(path: str) -> bool:
    """Whether a repository path is a page file (a `.md` file not hidden anywhere)."""
    return (
        path.endswith(SUFFIX)
        and not path.casefold().endswith(DISCUSSION_SUFFIX)
        and not any(p.startswith(".") for p in path.split("/"))
    )


def is_discussion_path(path: str) -> bool:
    """Whether a repository path is the discussion file of a page."""
    return path.casefold().endswith(DISCUSSION_SUFFIX) and not any(
        p.startswith(".") for p in path.split("/")
    )


def discussion_path(name: str) -> str:
    """The discussion file of page `name` ("WG4/Foo" -> "WG4/Foo.discussion.md")."""
    return normalize(name) + DISCUSSION_SUFFIX


def discussion_page(path: str) -> str:
    """The page name a discussion file belongs to."""
    return path[: -len(DISCUSSION_SUFFIX)]


def to_name(path: str) -> str:
    """Return the page name of a repository path ("WG4/Foo.md" -> "WG4/Foo")."""
    if not path.endswith(SUFFIX):
        raise InvalidPageName(N_("'%(path)s' is not a page file."), path=path)
    return path[: -len(SUFFIX)]


def folder(name: str) -> str:
    """The folder of a name ("WG4/Sub/Page" -> "WG4/Sub"; "Page" -> "")."""
    return name.rpartition("/")[0]


def leaf(name: str) -> str:
    """The last component of a name ("WG4/Sub/Page" -> "Page")."""
    return name.rpartition("/")[2]


def case_clash(
    name: str, existing: set[str] | list[str], *, ignore: str | None = None
) -> str | None:
    """Return an existing name (or folder) that differs from `name` only by letter case.

    Such a pair cannot both be checked out on case-insensitive file systems.
    """
    wanted = [name]
    parts = name.split("/")
    wanted += ["/".join(parts[:i]) for i in range(1, len(parts))]
    folded = {w.casefold(): w for w in wanted}
    for other in existing:
        if other == ignore:
            continue
        candidates = [other]
        oparts = other.split("/")
        candidates += ["/".join(oparts[:i]) for i in range(1, len(oparts))]
        for cand in candidates:
            mine = folded.get(cand.casefold())
            if mine is not None and mine != cand:
                return cand
    return None


def space_key(name: str) -> str:
    """The key of the space a page or folder name belongs to: its first segment, folded
    (`WG4/x`, `wg4` and `WG4` are all in space `wg4`). The one rule for it."""
    return name.split("/", 1)[0].casefold()
