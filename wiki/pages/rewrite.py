"""Rewriting what points to a renamed page: wikilinks, relative `.md` links and page
reference fields of records, in the text of the pages that link to it.

A link is rewritten only when it resolves to the old page exactly as the renderer
resolves it (absolute first, then relative to the linking page's folder), and only
outside code. Pure functions; no Flask, no git.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import quote
from urllib.parse import unquote

from . import frontmatter
from . import names

_WIKILINK = re.compile(
    r"\[\[(?P<space>\s*)(?P<target>[^\]\[\n|#\\]*?)(?P<rest>\s*(?:#[^\]\[\n|\\]*?)?"
    r"\s*(?:\\?\|[^\]\[\n]+?)?\s*)\]\]"
)
_MD_LINK = re.compile(r"(?P<head>\]\()(?P<path>[^)\s]+?\.md)(?P<fragment>#[^)\s]*)?(?P<tail>\))")
_FENCE = re.compile(r"^\s*(```|~~~)")


def resolve(target: str, page: str, exists: Callable[[str], bool]) -> str | None:
    """The page a wikilink target in `page` points to (the renderer's rule)."""
    target = unicodedata.normalize("NFC", target.strip())
    if target.startswith("/"):
        candidates = [target.lstrip("/")]
    else:
        folder = names.folder(page)
        candidates = [target] + ([f"{folder}/{target}"] if folder else [])
    valid = []
    for candidate in candidates:
        try:
            valid.append(names.normalize(candidate))
        except Exception:
            continue
    for candidate in valid:
        if exists(candidate):
            return candidate
    return valid[0] if valid else None


def rewrite_links(
    text: str,
    page: str,
    old: str,
    new: str,
    exists: Callable[[str], bool],
    page_fields: dict[str, str] | None = None,
) -> tuple[str, int]:
    """`text` of `page` with its links to `old` pointing to `new`, and how many changed.
    `page_fields` (field name -> folder its values are relative to, "" for none) are the
    page reference fields of the page's record type."""
    count = 0
    raw, body, body_line = frontmatter.split(text)
    head = ""
    if raw is not None:
        lines = text.split("\n")
        head = "\n".join(lines[: body_line - 1]) + "\n"
        if page_fields:
            head, changed = _rewrite_fields(head, old, new, page_fields)
            count += changed
    else:
        body = text
    out, fence = [], None
    for line in body.split("\n"):
        marker = _FENCE.match(line)
        if marker:
            fence = None if fence == marker.group(1) else (fence or marker.group(1))
            out.append(line)
            continue
        if fence is not None:
            out.append(line)
            continue
        line, changed = _rewrite_line(line, page, old, new, exists)
        count += changed
        out.append(line)
    return head + "\n".join(out), count


def _rewrite_line(line: str, page: str, old: str, new: str, exists) -> tuple[str, int]:
    count = 0
    folder = names.folder(page)

    def wikilink(match: re.Match) -> str:
        nonlocal count
        target = match.group("target")
        if not target.strip() or resolve(target, page, exists) != old:
            return match.group(0)
        count += 1
        written = new
        if folder and new.startswith(folder + "/") and "/" not in target.strip().lstrip("/"):
            written = new[len(folder) + 1 :]  # a link to a sibling stays short
        return f"[[{match.group('space')}{written}{match.group('rest')}]]"

    def md_link(match: re.Match) -> str:
        nonlocal count
        path = unquote(match.group("path"))
        joined = posixpath.normpath(
            path.lstrip("/") if path.startswith("/") else posixpath.join(folder, path)
        )
        try:
            target = names.normalize(joined[: -len(names.SUFFIX)])
        except Exception:
            return match.group(0)
        if target != old:
            return match.group(0)
        count += 1
        relative = posixpath.relpath(names.to_path(new), folder or ".")
        return (
            match.group("head")
            + quote(relative)
            + (match.group("fragment") or "")
            + match.group("tail")
        )

    line = _WIKILINK.sub(wikilink, line)
    line = _MD_LINK.sub(md_link, line)
    return line, count


def _rewrite_fields(head: str, old: str, new: str, fields: dict[str, str]) -> tuple[str, int]:
    """Page reference values in front matter lines (`key: value`, `key: [a, b]` and
    `- value` items under the key) that name `old`, in the form the field uses."""
    count = 0
    out, current = [], None
    for line in head.split("\n"):
        key_match = re.match(r"^([A-Za-z_][\w]*)\s*:(.*)$", line)
        if key_match:
            current = key_match.group(1) if key_match.group(1) in fields else None
            if current is not None:
                value = key_match.group(2)
                rewritten, changed = _rewrite_values(value, old, new, fields[current])
                count += changed
                line = f"{key_match.group(1)}:{rewritten}"
        elif current is not None and re.match(r"^\s+-\s", line):
            indent, _, value = line.partition("-")
            rewritten, changed = _rewrite_values(" " + value.strip(), old, new, fields[current])
            count += changed
            line = f"{indent}-{rewritten}"
        elif line.strip() and not line.startswith((" ", "\t")):
            current = None
        out.append(line)
    return "\n".join(out), count


def _rewrite_values(value: str, old: str, new: str, folder: str) -> tuple[str, int]:
    """One front matter value (a scalar or an inline list) with the items naming `old`
    (fully, or within the field's folder) written as `new` in the same form."""
    names_of = {old}
    if folder and old.startswith(folder + "/"):
        names_of.add(old[len(folder) + 1 :])
    short = new[len(folder) + 1 :] if folder and new.startswith(folder + "/") else new
    comment = ""
    if " #" in value:
        value, _, rest = value.partition(" #")
        comment = " #" + rest
    count = 0
    pieces = re.split(r"(\[|\]|,)", value)
    for i, piece in enumerate(pieces):
        if piece in ("[", "]", ","):
            continue
        core = piece.strip()
        quote_char = (
            core[:1] if core[:1] in "\"'" and core[-1:] == core[:1] and len(core) > 1 else ""
        )
        item = core[1:-1] if quote_char else core
        if item and item in names_of:
            lead = piece[: len(piece) - len(piece.lstrip())]
            trail = piece[len(piece.rstrip()) :]
            pieces[i] = f"{lead}{quote_char}{short}{quote_char}{trail}"
            count += 1
    return "".join(pieces) + comment, count
