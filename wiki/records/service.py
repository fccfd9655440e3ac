"""Records of a wiki: its types (the pages of `Types/` at HEAD), checking a record when it
is saved, and collections of the records of a type (from the page table, never by
reading every file). Plain Python, no Flask: it reads through the `Wiki` it is given.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import N_
from ..errors import InvalidContent
from ..pages import frontmatter
from ..pages import names
from .types import COMMON_KEYS
from .types import FIELD_NAME
from .types import TYPES_FOLDER
from .types import RecordType
from .types import parse_type
from .validate import Check
from .validate import check
from .validate import display
from .validate import plain
from .validate import problems_message


class RecordRefused(InvalidContent):
    """A save refused for values of the wrong kind: each field's problem and line, shown
    in the reader's language by the web layer."""

    def __init__(self, record_type: RecordType, errors) -> None:
        super().__init__(problems_message(record_type, errors))
        self.record_type, self.errors = record_type, errors

    def localized(self, gettext, language: str = "en") -> str:
        return problems_message(self.record_type, self.errors, gettext, language)


class Row:
    """A record in a collection; its check is made only when asked (a page of 50 rows
    shown out of thousands)."""

    __slots__ = ("name", "title", "meta", "_type", "_headings", "_check")

    def __init__(
        self,
        name: str,
        title: str,
        meta: dict[str, Any],
        record_type: RecordType,
        headings: list[str],
    ) -> None:
        self.name, self.title, self.meta = name, title, meta
        self._type, self._headings, self._check = record_type, headings, None

    @property
    def check(self) -> Check:
        if self._check is None:
            self._check = check(self._type, self.meta, self._headings)
        return self._check

    def value(self, field: str) -> str:
        if field == "title":
            return self.title
        return plain(self.meta.get(field))


class Records:
    """The record types and records of one wiki."""

    def __init__(self, wiki) -> None:
        self.wiki = wiki
        self._lock = threading.Lock()
        self._types: tuple[tuple, dict[str, RecordType]] = ((), {})

    # -- types -----------------------------------------------------------------------

    def types(self, head: str | None = None) -> dict[str, RecordType]:
        """The record types at HEAD (or at commit `head`) by id, read again only when a
        page of Types/ changed."""
        state = self.wiki.state(head) if head is not None else self.wiki.state()
        node = state.tree.children.get(TYPES_FOLDER)
        pages = []
        if node is not None:
            for child in node.children.values():
                path = names.to_path(child.name)
                if child.is_page and path in state.files:
                    pages.append((child.name, state.files[path]))
        key = tuple(sorted(pages))
        with self._lock:
            if self._types[0] == key:
                return self._types[1]
        found: dict[str, RecordType] = {}
        for name, blob in key:
            parsed = parse_type(name, self.wiki.storage.read_blob(blob))
            if parsed is not None and parsed.id not in found:
                found[parsed.id] = parsed
        with self._lock:
            self._types = (key, found)
        return found

    def type_of(self, meta: dict[str, Any]) -> RecordType | None:
        kind = meta.get("type")
        return self.types().get(kind) if isinstance(kind, str) else None

    # -- checking --------------------------------------------------------------------

    def validate(self, name: str | None, text: str) -> None:
        """The check every save makes (a `Wiki` validator): a value of the wrong kind or
        outside its list refuses the save, naming the field and its line.

        :raises InvalidContent:
        """
        raw, _body, _line = frontmatter.split(text)
        if raw is None:
            return
        meta = frontmatter.parse(text).meta
        record_type = self.type_of(meta)
        if record_type is None:
            return
        errors = check(record_type, meta, [], raw).errors
        if errors:
            raise RecordRefused(record_type, errors)

    def check(self, meta: dict[str, Any], headings: list[str]) -> Check | None:
        record_type = self.type_of(meta)
        return check(record_type, meta, headings) if record_type is not None else None

    def info(self, meta: dict[str, Any], headings: list[str], language: str = "en"):
        """What a record's information box shows: (type, [(label, [(text, page)])], check),
        or None for a page that is not a record; labels in `language` where the type has
        them."""
        record_type = self.type_of(meta)
        if record_type is None:
            return None
        shown = []
        for item in record_type.fields:
            parts = display(item, meta.get(item.name))
            if item.kind == "page" and item.folder:
                parts = [
                    (text, target if "/" in target else f"{item.folder}/{target}")
                    for text, target in parts
                    if target is not None
                ]
            if parts:
                shown.append((item.label(language), parts))
        return record_type, shown, check(record_type, meta, headings, language=language)

    def template(
        self, record_type: RecordType, title: str, values: dict[str, str] | None = None
    ) -> str:
        """The text a new record starts from: its type and every field in the front matter
        (empty, or the first allowed value's list left to choose; `values` fills some in),
        then its title and the type's sections as headings."""
        lines = ["---", f"type: {record_type.id}"]
        for item in record_type.fields:
            given = " ".join(str((values or {}).get(item.name, "")).split())[:200]
            if given and item.kind != "multi":
                lines.append(f"{item.name}: {json.dumps(given, ensure_ascii=False)}")
                continue
            empty = " []" if item.kind == "multi" else ""
            hint = f"  # one of: {', '.join(item.values)}" if item.values else ""
            lines.append(f"{item.name}:{empty}{hint}")
        lines += ["---", f"# {title}", ""]
        for section in record_type.sections:
            lines += [f"## {section}", "", ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    def rename_field(
        self,
        record_type: RecordType,
        old: str,
        new: str,
        *,
        author,
        base_revision: str | None = None,
    ):
        """Rename a field of a type and, in the same commit, its key in every record of the
        type (every record: the caller may change them all). Returns the revision (None:
        nothing to change).

        :raises InvalidContent: for an unknown field or a name that is taken or malformed.
        """
        if record_type.field(old) is None:
            raise InvalidContent(
                N_("The type %(record_type)s has no field '%(old)s'."),
                record_type=record_type.title,
                old=old,
            )
        if not FIELD_NAME.match(new) or new in COMMON_KEYS:
            raise InvalidContent(
                N_("'%(new)s' cannot be a field name (lower-case letters, digits, _)."), new=new
            )
        if record_type.field(new) is not None:
            raise InvalidContent(
                N_("The type %(record_type)s has a field '%(new)s' already."),
                record_type=record_type.title,
                new=new,
            )
        records = [name for name, _meta, _h in self.wiki.links.records(record_type.id)]
        type_path = names.to_path(record_type.page)
        key = re.compile(rf"^{re.escape(old)}(\s*):", re.M)
        field_line = re.compile(rf"^(\s*-?\s*name:\s*)([\"']?){re.escape(old)}\2(\s*)$", re.M)

        def rewrite(path: str, text: str) -> str:
            raw, _body, body_line = frontmatter.split(text)
            if raw is None:
                return text
            lines = text.split("\n")
            head, rest = "\n".join(lines[: body_line - 1]), "\n".join(lines[body_line - 1 :])
            if path == type_path:
                head = field_line.sub(lambda m: f"{m.group(1)}{new}{m.group(3)}", head, count=1)
            elif not re.search(rf"^{re.escape(new)}\s*:", head, re.M):
                head = key.sub(lambda m: f"{new}{m.group(1)}:", head, count=1)
            return head + "\n" + rest

        revision = self.wiki.storage.rewrite(
            [type_path, *(names.to_path(r) for r in records)],
            rewrite,
            author=author,
            message=f"Rename the field {old} of {record_type.title} to {new} "
            f"(and in its {len(records)} records)",
            base_revision=base_revision,
        )
        self.wiki._committed()
        return revision

    def references(self, name: str) -> dict[str, dict[str, str]]:
        """The records whose page reference fields name page `name` (fully, or within the
        field's folder): record -> {field: folder} (a `Wiki.reference_finders` entry)."""
        wiki = self.wiki
        head = wiki.head()
        if wiki.links is None or head is None or not wiki.page_table_ready(head):
            return {}
        found: dict[str, dict[str, str]] = {}
        for record_type in self.types().values():
            for item in record_type.fields:
                if item.kind != "page":
                    continue
                forms = {name}
                if item.folder and name.startswith(item.folder + "/"):
                    forms.add(name[len(item.folder) + 1 :])
                where = {f.lower() for f in forms if f.isascii()}
                narrow = {item.name: where} if len(where) == len(forms) else None
                for page, meta, _headings in wiki.links.records(record_type.id, narrow):
                    values = meta.get(item.name)
                    values = values if isinstance(values, list) else [values]
                    if any(str(v).strip().strip("[]") in forms for v in values if v):
                        found.setdefault(page, {})[item.name] = item.folder
        return found

    # -- collections -----------------------------------------------------------------

    def rows(
        self, record_type: RecordType, *, visible=None, narrow: dict[str, str] | None = None
    ) -> list[Row]:
        """Every record of a type that `visible(name)` allows, by name; from the page table
        at HEAD. `narrow` (field -> value) lets the table leave out most records that do not
        have those values (the caller still filters exactly).

        :raises LookupError: while the page table is being built.
        """
        wiki = self.wiki
        head = wiki.head()
        if head is not None and not wiki.page_table_ready(head):
            raise LookupError("The table of records is being built.")
        found = []
        where = {
            key: {value.strip().lower()}
            for key, value in (narrow or {}).items()
            if value.strip().isascii() and record_type.field(key) is not None
        }
        table = wiki.links.records(record_type.id, where) if wiki.links else []
        for name, meta, headings in table:
            if visible is not None and not visible(name):
                continue
            title = (
                str(meta.get("title") or "").strip()
                or _first_heading(headings)
                or (names.leaf(name))
            )
            found.append(Row(name, title, meta, record_type, headings))
        return found


@dataclass(frozen=True)
class QueryTable:
    record_type: RecordType | None
    columns: list[tuple[str, str]]  # (field, label)
    rows: list[Row]
    problem: str = ""  # why the query cannot run (shown in its place)
    total: int = 0


QUERY_LIMIT = 200


def run_query(
    records: Records, spec_text: str, *, visible=None, language: str = "en"
) -> QueryTable:
    """A query block (`type:`, field filters, `columns:`, `sort:`, `limit:`) as the table
    the viewer may see, from the records at HEAD."""
    # read as front matter is: no anchors or aliases (a few bytes of them expand to
    # gigabytes), limited depth and size
    if len(spec_text) > 4000:
        return QueryTable(None, [], [], "A query is at most 4,000 characters.")
    try:
        spec = frontmatter.parse(f"---\n{spec_text}\n---\n").meta
    except InvalidContent as problem:
        return QueryTable(None, [], [], f"The query could not be read. {problem.message}")
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        return QueryTable(None, [], [], "A query needs at least 'type: <record type id>'.")
    record_type = records.types().get(spec["type"].strip())
    if record_type is None:
        return QueryTable(None, [], [], f"There is no record type '{spec['type']}'.")
    known = {"title": "Title", **{f.name: f.label(language) for f in record_type.fields}}
    wanted = spec.get("columns") or ["title", *[f.name for f in record_type.fields[:3]]]
    if not isinstance(wanted, list):
        wanted = [wanted]
    columns = [(str(c), known[str(c)]) for c in wanted if str(c) in known]
    try:
        rows = records.rows(record_type, visible=visible)
    except LookupError:
        return QueryTable(record_type, columns, [], "The table of records is being built.")
    for key, value in spec.items():
        if key in known and key != "title" and value not in (None, ""):
            want = {
                str(v).strip().casefold() for v in (value if isinstance(value, list) else [value])
            }
            rows = [r for r in rows if _any_value(r.meta.get(key)) & want]
    sort = str(spec.get("sort") or "title")
    key = sort.lstrip("-")
    if key == "modified":
        when = {}
        for row in rows[:2000]:
            last = records.wiki.storage.last_change(names.to_path(row.name))
            when[row.name] = last.date.timestamp() if last else 0.0
        rows.sort(key=lambda r: when.get(r.name, 0.0), reverse=sort.startswith("-"))
    else:
        key = key if key in known else "title"
        rows.sort(
            key=lambda r: (r.value(key) == "", r.value(key).casefold()),
            reverse=sort.startswith("-"),
        )
    try:
        limit = max(1, min(QUERY_LIMIT, int(spec.get("limit") or 50)))
    except (TypeError, ValueError):
        limit = 50
    return QueryTable(record_type, columns, rows[:limit], total=len(rows))


def _any_value(value) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {str(v).strip().casefold() for v in values if v is not None}


def _first_heading(headings: list[str]) -> str:
    return headings[0] if headings else ""


def sections_of(text: str) -> list[tuple[str, str]]:
    """A page's body as (level-2 heading, its Markdown) in order; the text before the
    first such heading (after the title) comes as ("", ...)."""
    _raw, body, _line = frontmatter.split(text)
    found: list[tuple[str, list[str]]] = [("", [])]
    fence = None
    for line in body.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
        if fence is None and line.startswith("## "):
            found.append((line[3:].strip().strip("#").strip(), []))
            continue
        if fence is None and line.startswith("# ") and not found[0][1] and len(found) == 1:
            continue  # the title
        found[-1][1].append(line)
    return [
        (heading, "\n".join(lines).strip())
        for heading, lines in found
        if heading or "\n".join(lines).strip()
    ]
