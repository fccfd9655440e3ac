"""Pages that are translations of each other: they share a key, the name of the original
(`translation_of: Public/Home` in the front matter of the German page). A page knows its
translations, which of them may be outdated (older than the original's last change), and
what a new translation starts from (the original's structure and a link back).

Plain Python, no Flask: it reads through the `Wiki` it is given (the page table).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Revision
from . import frontmatter
from . import names


@dataclass(frozen=True)
class Translation:
    name: str
    language: str  # "" when the page does not say and its folder neither


@dataclass(frozen=True)
class Outdated:
    original: str
    since: Revision | None  # the original's revision the translation was made from
    latest: Revision  # the original's last change


def key_of(name: str, meta: dict) -> str:
    """The name of the original a page belongs with (itself when it is the original)."""
    value = meta.get("translation_of")
    if isinstance(value, str) and value.strip():
        target = value.strip().strip("[]").split("|", 1)[0].strip()
        try:
            return names.normalize(target)
        except Exception:
            return name
    return name


def translations(wiki, name: str, meta: dict, visible=None, default: str = "") -> list[Translation]:
    """The other pages of this page's group (the original and its translations) that
    `visible(name)` allows, with their languages (`default` for a page that does not
    say, nor its folder)."""
    key = key_of(name, meta)
    head = wiki.head()
    if wiki.links is None or head is None:
        return []
    if key == name and not _has_translations(wiki, head, key):
        return []  # most pages: no query beyond a set lookup
    if not wiki.page_table_ready(head, wait=2):
        return []
    found = []
    for other, other_meta in wiki.links.translations(key):
        if other == name or (visible is not None and not visible(other)):
            continue
        if other != key and key_of(other, other_meta) != key:
            continue
        lang = other_meta.get("lang")
        language = lang.strip().lower() if isinstance(lang, str) and lang.strip() else ""
        language = language or wiki.folder_language(other, head) or default
        found.append(Translation(other, language))
    return found


_KEYS: dict[int, tuple[str, set[str]]] = {}  # per wiki: (head, the originals translated)


def _has_translations(wiki, head: str, key: str) -> bool:
    known = _KEYS.get(id(wiki))
    if known is None or known[0] != head:
        if not wiki.page_table_ready(head, wait=2):
            return False
        values = wiki.links.translated()
        keys = set()
        for value in values:
            target = value.strip().strip("[]").split("|", 1)[0].strip()
            try:
                keys.add(names.normalize(target))
            except Exception:
                continue
        known = _KEYS[id(wiki)] = (head, keys)
    return key in known[1]


def outdated(wiki, name: str, meta: dict) -> Outdated | None:
    """For a translation: whether its original changed after it last did."""
    key = key_of(name, meta)
    if key == name or not wiki.exists(key):
        return None
    mine = wiki.storage.last_change(names.to_path(name))
    theirs = wiki.storage.last_change(names.to_path(key))
    # by the history, not the clock: saved after the original's last change, it is not
    if mine is None or theirs is None or wiki.storage.is_ancestor(theirs.id, mine.id):
        return None
    since = None
    for rev in wiki.storage.history(names.to_path(key), limit=50):
        if wiki.storage.is_ancestor(rev.id, mine.id):
            since = rev  # the original as it was when the translation last changed
            break
    return Outdated(key, since, theirs)


def starting_text(original: str, text: str, title: str, language: str) -> str:
    """What a new translation starts with: its language and key, the original's record
    fields, title and headings (to fill in), and a link back."""
    doc = frontmatter.parse(text, strict=False)
    meta = {k: v for k, v in doc.meta.items() if k not in ("lang", "translation_of", "title")}
    lines = ["---", f"lang: {language}", f"translation_of: {original}"]
    for key, value in meta.items():
        lines.append(frontmatter.dump_line(key, value))
    lines += ["---", f"# {title}", "", f"*[[{original}|{title}]]*", ""]
    for raw in doc.body.splitlines():
        if raw.startswith("## ") or raw.startswith("### "):
            lines += [raw, "", ""]
    return "\n".join(lines).rstrip("\n") + "\n"
