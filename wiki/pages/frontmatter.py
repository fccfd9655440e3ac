"""YAML front matter: split it from the Markdown body and parse it safely.

Front matter is kept as-is in the file; the wiki only reads it. Keys are
generic (title, lang, tags, type, wg, country, ...), so later page types can
add their own without changes here. No Flask imports.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import yaml

from ..errors import InvalidContent

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FENCE = "---"
# What a page's front matter may hold. Anchors and aliases are refused outright: a few
# hundred bytes of nested aliases expand to gigabytes (the "billion laughs").
MAX_DEPTH = 20  # lists and mappings inside the top-level mapping
MAX_ITEMS = 10_000  # values of every kind, keys included
_CLOSERS = ("---", "...")


@dataclass(frozen=True)
class Document:
    meta: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    body_line: int = 1  # line number (1-based) where the body starts in the file


def split(text: str) -> tuple[str | None, str, int]:
    """Split text into (yaml_text or None, body, body_first_line)."""
    text = text.lstrip("\ufeff")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != _FENCE:
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].rstrip() in _CLOSERS:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return None, text, 1  # no closing fence: it is just a horizontal rule


def parse(text: str, *, strict: bool = True) -> Document:
    """Parse front matter and body.

    With `strict`, invalid YAML raises; otherwise the text is shown as a body
    with no metadata (a page saved by git push must still display).

    :raises InvalidContent: with the line number of the YAML problem.
    """
    raw, body, body_line = split(text)
    if raw is None:
        return Document({}, body, 1)
    try:
        problem = _shape_problem(raw)
        if problem is not None:
            if not strict:
                return Document({}, text, 1)
            raise InvalidContent(problem)
        # libyaml's C loader when present: the same safe subset, ten times faster
        data = yaml.load(raw, Loader=_LOADER) if raw.strip() else {}
    except yaml.YAMLError as exc:
        if not strict:
            return Document({}, text, 1)
        exc = _python_loader_error(raw) or exc  # its line numbers point nearer the mistake
        mark = getattr(exc, "problem_mark", None)
        where = f" on line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        raise InvalidContent(
            f"The front matter (between the --- lines) has an error{where}: {problem}."
        ) from None
    except (ValueError, OverflowError) as exc:  # a date YAML reads but Python cannot hold
        if not strict:
            return Document({}, text, 1)
        raise InvalidContent(
            f"The front matter (between the --- lines) has a value that is not a date: {exc}."
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        if not strict:
            return Document({}, text, 1)
        raise InvalidContent(
            "The front matter must be a list of 'key: value' lines (line 2 onwards)."
        )
    return Document({str(k): _plain(v) for k, v in data.items()}, body, body_line)


def _shape_problem(raw: str) -> str | None:
    """Why the YAML may not be built (anchors, aliases, too deep, too many values), read
    from the parser's events before any value is made; None when it may."""
    deep = f"Front matter line {{}}: lists and mappings may be nested at most {MAX_DEPTH} deep."
    try:
        return next(_event_problems(raw, deep), None)
    except yaml.YAMLError as exc:
        if "nesting depth" not in str(exc):
            raise
        mark = getattr(exc, "problem_mark", None)
        return deep.format(mark.line + 2 if mark is not None else 2)  # libyaml's own limit
    return None


def _event_problems(raw: str, deep: str):
    depth = count = 0
    for event in yaml.parse(raw, Loader=_LOADER):
        line = event.start_mark.line + 2  # the file's line: the front matter starts on 2
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            yield f"Front matter line {line}: anchors and aliases (&name, *name) are not allowed."
            return
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:
                yield deep.format(line)
                return
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.NodeEvent | yaml.CollectionStartEvent):
            count += 1
            if count > MAX_ITEMS:
                yield (
                    f"Front matter line {line}: the front matter may hold at most "
                    f"{MAX_ITEMS:,} values."
                )
                return


def _python_loader_error(raw: str) -> yaml.YAMLError | None:
    try:
        yaml.load(raw, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return exc
    except RecursionError:
        return None
    return None


def _plain(value: Any) -> Any:
    """Turn YAML values into JSON-friendly ones (dates become ISO strings)."""
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def as_list(value: Any) -> list[str]:
    """A metadata value as a list of strings ("a, b" or [a, b] -> ["a", "b"])."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and str(v).strip()]
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(value)]


def dump_line(key: str, value: Any) -> str:
    """One `key: value` line of front matter (lists in flow style, text as YAML needs)."""
    text = yaml.safe_dump(
        {key: value}, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10**6
    ).strip()
    return text[1:-1] if text.startswith("{") and text.endswith("}") else text
