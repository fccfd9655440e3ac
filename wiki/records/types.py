"""Record types: pages in the `Types/` folder that declare the fields of a kind of record.

A type page's front matter says its id (`id: best-practice`), its fields (name,
label per UI language, kind, required, allowed values), the headings a record's
body should have (`sections`) and where new records go (`folder`); its Markdown
explains the type to people. A record is any page whose front matter names a
type id (`type: best-practice`). Pure Python: no Flask, no git.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..pages import frontmatter

TYPES_FOLDER = "Types"
KINDS = (
    "text",
    "long-text",
    "date",
    "datetime",
    "timezone",
    "number",
    "choice",
    "multi",
    "page",
    "url",
    "email",
    "country",
    "working-group",
    "language",
)
_ID = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# keys every page may have; a type's fields come after them in a record
COMMON_KEYS = ("type", "title", "lang", "tags", "translation_of")


class TypeError_(ValueError):
    """A type page that cannot be used, with the reason (shown on the type page)."""


@dataclass(frozen=True)
class Field:
    name: str
    labels: dict[str, str]  # UI language -> label ("en" always present)
    kind: str = "text"
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values of choice and multi
    folder: str = ""  # where page references point (the Partners of an institution)
    help: str = ""
    not_before: str = ""  # another field this one may not be earlier than (end: start)

    def label(self, language: str = "en") -> str:
        return self.labels.get(language) or self.labels["en"]


@dataclass(frozen=True)
class RecordType:
    id: str
    title: str
    page: str  # the type's page, e.g. "Types/Best practice"
    fields: tuple[Field, ...] = ()
    sections: tuple[str, ...] = ()
    folder: str = ""
    description: str = ""
    # the fields that put its records in the calendar: (start, end or "")
    calendar: tuple[str, str] | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    def field(self, name: str) -> Field | None:
        for item in self.fields:
            if item.name == name:
                return item
        return None


def parse_type(page: str, text: str) -> RecordType | None:
    """The record type a page of `Types/` declares; None when it declares none (a page
    about types, say). Fields that cannot be used are left out and named in `problems`."""
    doc = frontmatter.parse(text, strict=False)
    meta = doc.meta
    type_id = str(meta.get("id") or "").strip()
    if not type_id:
        return None
    problems: list[str] = []
    if not _ID.match(type_id):
        return None
    fields: list[Field] = []
    seen: set[str] = set()
    for i, raw in enumerate(meta.get("fields") or [], 1):
        try:
            item = _parse_field(raw)
        except TypeError_ as problem:
            problems.append(f"field {i}: {problem}")
            continue
        if item.name in seen or item.name in COMMON_KEYS:
            problems.append(f"field {i}: the name '{item.name}' is used already")
            continue
        seen.add(item.name)
        fields.append(item)
    sections = tuple(str(s).strip() for s in (meta.get("sections") or []) if str(s).strip())
    title = str(meta.get("title") or page.rpartition("/")[2]).strip()
    first_paragraph = next(
        (p.strip() for p in doc.body.split("\n\n") if p.strip() and not p.lstrip().startswith("#")),
        "",
    )
    calendar = None
    raw_calendar = meta.get("calendar")
    if isinstance(raw_calendar, dict) and raw_calendar.get("start"):
        start, end = str(raw_calendar["start"]), str(raw_calendar.get("end") or "")
        kinds = {f.name: f.kind for f in fields}
        if kinds.get(start) in ("date", "datetime") and kinds.get(end, "date") in (
            "date",
            "datetime",
        ):
            calendar = (start, end if end in kinds else "")
        else:
            problems.append("calendar: its start and end name date fields of the type")
    return RecordType(
        id=type_id,
        calendar=calendar,
        title=title,
        page=page,
        fields=tuple(fields),
        sections=sections,
        folder=str(meta.get("folder") or "").strip().strip("/"),
        description=first_paragraph,
        problems=tuple(problems),
    )


def _parse_field(raw: Any) -> Field:
    if not isinstance(raw, dict):
        raise TypeError_("a field is a mapping with at least a name")
    name = str(raw.get("name") or "").strip()
    if not FIELD_NAME.match(name):
        raise TypeError_(f"'{name}' is not a field name (lower-case letters, digits, _)")
    kind = str(raw.get("kind") or "text").strip()
    if kind not in KINDS:
        raise TypeError_(f"'{kind}' is not a kind (one of: {', '.join(KINDS)})")
    label = raw.get("label")
    if isinstance(label, dict):
        labels = {str(k): str(v) for k, v in label.items() if str(v).strip()}
    else:
        labels = {"en": str(label)} if label else {}
    labels.setdefault("en", name.replace("_", " ").capitalize())
    values = tuple(str(v) for v in (raw.get("values") or []))
    if kind in ("choice", "multi") and not values:
        raise TypeError_(f"the {kind} field '{name}' needs its values")
    return Field(
        name=name,
        labels=labels,
        kind=kind,
        required=bool(raw.get("required")),
        values=values,
        folder=str(raw.get("folder") or "").strip().strip("/"),
        help=str(raw.get("help") or ""),
        not_before=str(raw.get("not_before") or "").strip(),
    )


def is_type_page(path_or_name: str) -> bool:
    return path_or_name.startswith(TYPES_FOLDER + "/")
