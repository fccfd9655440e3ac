"""Markdown -> sanitized HTML, with title, table of contents and outgoing links.

mistune parses to tokens; this module resolves wikilinks and relative `.md`
links against the page's own location, gives headings stable ids, renders, and
passes everything through nh3 with a strict allow-list. The renderer keeps no
per-call state: everything a call needs comes in as arguments and goes out in
one `Rendered` value. No Flask imports.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import quote
from urllib.parse import unquote
from urllib.parse import urlsplit

import mistune
import nh3
from markupsafe import Markup
from markupsafe import escape
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

from . import frontmatter
from . import names

PLUGINS = ["table", "footnotes", "strikethrough", "task_lists", "def_list", "url"]

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "input": {"type", "checked", "disabled"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "details": {"open"},
}
URL_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    id: str


@dataclass(frozen=True)
class Rendered:
    html: Markup
    title: str
    meta: dict[str, Any]
    toc: list[Heading] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # page names this page links to
    text: str = ""  # the body as plain words (for search snippets and excerpts)


Exists = Callable[[str], bool]


class _HtmlRenderer(mistune.HTMLRenderer):
    def block_code(self, code: str, info: str | None = None) -> str:
        lang = (info or "").strip().split(None, 1)[0] if info else ""
        if lang:
            try:
                lexer = get_lexer_by_name(lang, stripall=False)
            except ClassNotFound:
                lexer = None
            if lexer is not None:
                formatter = HtmlFormatter(nowrap=True)
                body = highlight(code, lexer, formatter)
                return (
                    f'<pre class="highlight"><code class="language-{escape(lang)}">'
                    f"{body}</code></pre>\n"
                )
        return super().block_code(code, info)

    def wikilink(self, text: str, href: str, missing: bool = False) -> str:
        cls = "wikilink missing" if missing else "wikilink"
        extra = ' title="This page does not exist yet: create it"' if missing else ""
        return f'<a class="{cls}" href="{escape(href)}"{extra}>{text}</a>'


def _wikilink_plugin(md: mistune.Markdown) -> None:
    def parse(inline: Any, m: re.Match[str], state: Any) -> int:
        target, section, label = m.group("wl_target"), m.group("wl_section"), m.group("wl_label")
        state.append_token(
            {
                "type": "wikilink",
                "raw": label or (target + ("#" + section if section and target else section or "")),
                "attrs": {"target": target or "", "section": section or ""},
            }
        )
        return m.end()

    # "\\|" separates the label inside table cells, where a bare "|" ends the cell
    pattern = (
        r"\[\[\s*(?P<wl_target>[^\]\[\n|#\\]*?)\s*(?:#(?P<wl_section>[^\]\[\n|\\]*?))?"
        r"\s*(?:\\?\|\s*(?P<wl_label>[^\]\[\n]+?)\s*)?\]\]"
    )
    try:
        # telling mistune the rule can only start at "[" keeps its fast path for plain text
        md.inline.register("wikilink", pattern, parse, before="link", start_chars="[")
    except TypeError:  # mistune before start_chars existed
        md.inline.register("wikilink", pattern, parse, before="link")


class Renderer:
    """Turns page text into safe HTML. One instance serves every request."""

    def __init__(self, link_base: str = "/", edit_base: str = "/-/edit/") -> None:
        self.link_base = link_base
        self.edit_base = edit_base
        self._parse = mistune.create_markdown(renderer=None, plugins=[*PLUGINS, _wikilink_plugin])
        self._html = _HtmlRenderer(escape=False)
        # registering the plugins on an HTML markdown teaches our renderer their tokens
        mistune.create_markdown(renderer=self._html, plugins=PLUGINS)
        self._cleaner = nh3.Cleaner(
            tags=ALLOWED_TAGS,
            clean_content_tags={"script", "style", "iframe", "object", "embed", "template"},
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=URL_SCHEMES,
            link_rel="noopener noreferrer",
            strip_comments=True,
            attribute_filter=_filter_attribute,
        )

    def render(
        self, text: str, *, name: str = "", exists: Exists | None = None, strict: bool = False
    ) -> Rendered:
        """Render a page's text; `name` places relative links, `exists` marks missing pages.

        :raises InvalidContent: with `strict`, for front matter that does not parse.
        """
        doc = frontmatter.parse(text, strict=strict)
        tokens, state = self._parse.parse(_escape_table_wikilinks(doc.body))
        ctx = _Context(
            name=name, exists=exists or (lambda _n: True), base=self.link_base, edit=self.edit_base
        )
        ctx.walk(tokens)
        title = str(doc.meta.get("title") or "").strip() or (ctx.h1 or names.leaf(name) or name)
        first = next((t for t in tokens if t.get("type") != "blank_line"), None)
        heading = _plain(first.get("children", [])) if first is not None else ""
        if (
            first is not None
            and first.get("type") == "heading"
            and first["attrs"]["level"] == 1
            and same_title(heading, title)
        ):
            tokens = [t for t in tokens if t is not first]  # the page header shows it already
            words = _tidy(" ".join(ctx.words)).removeprefix(_tidy(heading)).lstrip()
        else:
            words = _tidy(" ".join(ctx.words))
        html = self._html(tokens, state)
        safe = self._cleaner.clean(html)
        return Rendered(
            html=Markup(safe),
            title=title,
            meta=doc.meta,
            toc=ctx.toc,
            links=ctx.links,
            text=words,
        )

    def sanitize(self, html: str) -> Markup:
        """Sanitize HTML that did not come from Markdown (same allow-list)."""
        return Markup(self._cleaner.clean(html))

    def title(self, text: str, *, default: str) -> str:
        """Just the title of a page (front matter, else first heading, else `default`)."""
        doc = frontmatter.parse(text, strict=False)
        if doc.meta.get("title"):
            return str(doc.meta["title"]).strip()
        for line in doc.body.split("\n"):
            if line.startswith("# "):
                return line[2:].strip().strip("#").strip() or default
        return default


class _Context:
    """Per-call state of one rendering (kept out of the shared Renderer)."""

    def __init__(self, *, name: str, exists: Exists, base: str, edit: str) -> None:
        self.name = name
        self.exists = exists
        self.base = base
        self.edit = edit
        self.toc: list[Heading] = []
        self.links: list[str] = []
        self.words: list[str] = []
        self.h1: str | None = None
        self._ids: set[str] = set()

    def walk(self, tokens: list[dict[str, Any]]) -> None:
        for tok in tokens:
            kind = tok.get("type")
            if kind == "heading":
                self._heading(tok)
            elif kind == "wikilink":
                self._wikilink(tok)
            elif kind == "link":
                self._link(tok)
            elif kind in ("text", "codespan") and "raw" in tok:
                self.words.append(tok["raw"])
            elif kind == "block_code" and "raw" in tok:
                self.words.append(tok["raw"])
            if tok.get("children") and kind != "heading":
                self.walk(tok["children"])

    def _heading(self, tok: dict[str, Any]) -> None:
        text = _plain(tok.get("children", []))
        if tok["attrs"]["level"] == 1 and self.h1 is None:
            self.h1 = text
        ident = self._unique(ID_PREFIX + (slugify(text) or "section"))
        tok["attrs"]["id"] = ident
        self.toc.append(Heading(tok["attrs"]["level"], text, ident))
        self.walk(tok.get("children", []))

    def _unique(self, ident: str) -> str:
        candidate, n = ident, 1
        while candidate in self._ids:
            n += 1
            candidate = f"{ident}-{n}"
        self._ids.add(candidate)
        return candidate

    def _wikilink(self, tok: dict[str, Any]) -> None:
        target = tok["attrs"]["target"]
        section = tok["attrs"]["section"]
        self.words.append(tok.get("raw", ""))
        fragment = "#" + quote(slugify(section)) if section else ""
        if not target:  # [[#section]] links within the page
            tok["attrs"] = {"href": fragment or "#", "missing": False}
            return
        resolved = self._resolve_name(target)
        if resolved is None:
            tok["attrs"] = {"href": "#", "missing": True}
            return
        missing = not self.exists(resolved)
        self.links.append(resolved)
        href = (self.edit if missing else self.base) + quote(resolved)
        tok["attrs"] = {"href": href + ("" if missing else fragment), "missing": missing}

    def _resolve_name(self, target: str) -> str | None:
        """Absolute names first; then relative to this page's folder (`[[Sibling]]` in WG4/)."""
        target = unicodedata.normalize("NFC", target.strip())
        if target.startswith("/"):
            candidates = [target.lstrip("/")]
        else:
            folder = names.folder(self.name)
            candidates = [target] + ([f"{folder}/{target}"] if folder else [])
        valid = []
        for cand in candidates:
            try:
                valid.append(names.normalize(cand))
            except Exception:  # an invalid name is shown as a missing link, never an error
                continue
        for cand in valid:
            if self.exists(cand):
                return cand
        return valid[0] if valid else None

    def _link(self, tok: dict[str, Any]) -> None:
        url = tok["attrs"].get("url", "")
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.endswith(names.SUFFIX):
            return
        # a relative link between .md files, as it reads in a clone: point it at the wiki page
        here = names.folder(self.name)
        path = unquote(parts.path)
        joined = posixpath.normpath(
            path.lstrip("/") if path.startswith("/") else posixpath.join(here, path)
        )
        if joined.startswith("..") or joined.startswith("/"):
            return
        try:
            target = names.normalize(joined[: -len(names.SUFFIX)])
        except Exception:
            return
        self.links.append(target)
        fragment = "#" + parts.fragment if parts.fragment else ""
        if self.exists(target):
            tok["attrs"]["url"] = self.base + quote(target) + fragment
        else:
            tok["attrs"]["url"] = self.edit + quote(target)


_TABLE_WIKILINK = re.compile(r"\[\[[^\]\n]*?(?<!\\)\|[^\]\n]*?\]\]")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")


def _escape_table_wikilinks(body: str) -> str:
    """Escape the "|" of `[[Name|label]]` in table rows, so it does not split the cell."""
    if "|" not in body or "[[" not in body:
        return body
    lines = body.split("\n")
    fence: str | None = None
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if m:
            marker = m.group(1)[0]
            if fence is None:
                fence = marker
            elif fence == marker:
                fence = None
            continue
        if fence is None and line.lstrip().startswith("|") and "[[" in line:
            lines[i] = _TABLE_WIKILINK.sub(lambda w: w.group(0).replace("|", "\\|"), line)
    return "\n".join(lines)


_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?)\]])")
_SPACES = re.compile(r"\s+")


def _tidy(text: str) -> str:
    """Plain words of a page on one line, without spaces before punctuation."""
    return _SPACE_BEFORE_PUNCT.sub(r"\1", _SPACES.sub(" ", text)).strip()


def same_title(a: str, b: str) -> bool:
    """Whether a heading says the page's title again: compared without case, accents and
    spacing ("Cluster  policy" is "cluster policy", "Straße" is "STRASSE", "Šibenik" is
    "Sibenik"), so that a body starting with its own title does not show it twice."""
    return _loose(a) == _loose(b)


def _loose(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare).strip()


def _plain(tokens: list[dict[str, Any]]) -> str:
    out = []
    for tok in tokens:
        if "raw" in tok:
            out.append(tok["raw"])
        if tok.get("children"):
            out.append(_plain(tok["children"]))
    return "".join(out).strip()


_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


# Page HTML may not pose as the wiki: ids get this prefix (in-page links follow), and only
# the classes the renderer itself writes survive, so a page cannot draw the theme's
# "Saved." banner or take an id the theme's scripts look up.
ID_PREFIX = "user-content-"
RENDER_CLASSES = frozenset(
    {
        "wikilink",
        "missing",
        "highlight",
        "footnote",
        "footnote-ref",
        "footnotes",
        "task-list-item",
        "task-list-item-checkbox",
    }
) | frozenset(STANDARD_TYPES.values()) - {""}
_LANGUAGE_CLASS = re.compile(r"^language-[\w+#.-]{1,40}$")


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    """Prefix ids (and in-page links), keep only the renderer's classes, and drop URLs
    whose scheme, once invisible characters are removed, is not allowed.

    Browsers ignore tabs, newlines and some invisible characters inside a scheme
    ("java\tscript:"), so the check runs on the URL with all of them taken out.
    """
    if attribute == "id":
        return value if value.startswith(ID_PREFIX) else ID_PREFIX + value
    if attribute == "class":
        kept = [c for c in value.split() if c in RENDER_CLASSES or _LANGUAGE_CLASS.match(c)]
        return " ".join(kept) or None
    if attribute == "href" and value.startswith("#") and not value.startswith("#" + ID_PREFIX):
        value = "#" + ID_PREFIX + value[1:]
    if attribute not in ("href", "src"):
        return value
    squeezed = "".join(
        ch for ch in value if not ch.isspace() and unicodedata.category(ch) not in ("Cc", "Cf")
    ).lower()
    match = _SCHEME.match(squeezed)
    if match and match.group(1) not in URL_SCHEMES:
        return None
    return value


_SLUG_DROP = re.compile(r"[^\w\- ]+", re.UNICODE)


def slugify(text: str) -> str:
    """A heading id: lower case, words joined by '-', letters of every script kept."""
    text = unicodedata.normalize("NFC", text).strip().lower()
    text = _SLUG_DROP.sub("", text)
    return re.sub(r"[\s_]+", "-", text).strip("-")
