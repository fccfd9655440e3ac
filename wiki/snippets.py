"""Search result snippets: an escaped excerpt with the matched words marked.

No Flask imports, no Whoosh imports.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from markupsafe import escape

from .searchschema import fold

_TOKEN = re.compile(r"\w+")


def snippet(text: str, words: list[str], *, width: int = 240) -> Markup:
    """An escaped excerpt around the first matches, with <mark> around words like the query."""
    if not text:
        return Markup("")
    wanted = {fold(w) for w in words if w}
    stems = tuple({w[: max(4, len(w) - 3)] for w in wanted if len(w) >= 4})

    def matches(token: str) -> bool:
        f = fold(token)
        return f in wanted or (bool(stems) and f.startswith(stems))

    first = None
    if wanted:
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
            out.append(str(escape(text[pos:m.start()])))
            out.append("<mark>" + str(escape(m.group(0))) + "</mark>")
            pos = m.end()
    out.append(str(escape(text[pos:end])))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    # every piece of page text above went through escape(); only <mark> is added
    return Markup(prefix + "".join(out).strip() + suffix)
