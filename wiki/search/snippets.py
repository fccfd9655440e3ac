"""Search result snippets: an escaped excerpt with the matched words marked.

No Flask imports, no Whoosh imports.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from markupsafe import escape

from .schema import fold

_TOKEN = re.compile(r"\w+")


def snippet(
    text: str, words: list[str], *, phrases: list[list[str]] | None = None, width: int = 240
) -> Markup:
    """An escaped excerpt with <mark> around words like the query's: around the first
    place where the words of a phrase stand together, else around the first match."""
    if not text:
        return Markup("")
    wanted = {fold(w) for w in words if w}
    stems = tuple({w[: max(4, len(w) - 3)] for w in wanted if len(w) >= 4})

    def matches(token: str) -> bool:
        f = fold(token)
        return f in wanted or (bool(stems) and f.startswith(stems))

    first = _phrase_at(text, phrases or [])
    if first is None and wanted:
        first = next((m for m in _TOKEN.finditer(text) if matches(m.group(0))), None)
    start = 0 if first is None else max(0, first.start() - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    out = []
    pos = start
    for m in _TOKEN.finditer(text, start, end):
        if wanted and matches(m.group(0)):
            out.append(str(escape(text[pos : m.start()])))
            out.append("<mark>" + str(escape(m.group(0))) + "</mark>")
            pos = m.end()
    out.append(str(escape(text[pos:end])))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    # every piece of page text above went through escape(); only <mark> is added
    return Markup(prefix + "".join(out).strip() + suffix)


PHRASE_SCAN = 4000  # characters looked through for a phrase (a snippet is for the top)


def _phrase_at(text: str, phrases: list[list[str]]):
    """The token where one of these phrases (folded words) first begins in `text`."""
    phrases = [p for p in phrases if len(p) > 1]
    if not phrases:
        return None
    tokens = list(_TOKEN.finditer(text, 0, PHRASE_SCAN))
    folded = [fold(m.group(0)) for m in tokens]
    for i in range(len(tokens)):
        for phrase in phrases:
            if folded[i : i + len(phrase)] == phrase:
                return tokens[i]
    return None
