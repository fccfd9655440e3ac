"""Looking across records: compare records side by side, the benchmarking matrix, tags.
Every row and count passes the reader's read gate."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template
from flask import request

from ..access.auth import READ
from ..access.auth import read_filter
from ..access.auth import require
from ..app import services
from ..errors import N_
from ..errors import InvalidContent
from ..errors import PageNotFound
from ..i18n import ui_language
from ..pages import names
from . import get_wiki
from .records import TableNotReady
from .records import _visible_types

bp = Blueprint("overview", __name__)


@bp.get("/-/matrix")
def matrix():
    """The benchmarking matrix: working groups as rows, record types as columns, each
    cell a count linking to the filtered collection (what the reader may read)."""
    require(READ)
    from ..records.validate import WORKING_GROUPS

    record_types = sorted(_visible_types().values(), key=lambda t: t.title.casefold())
    record_types = [t for t in record_types if t.field("wg") is not None]
    allowed = read_filter()
    counts: dict[tuple[str, str], int] = {}
    for record_type in record_types:
        try:
            rows = services().records.rows(record_type, visible=allowed)
        except LookupError:
            raise TableNotReady(
                N_("The table of records is being built after an update; try again in a minute.")
            ) from None
        for row in rows:
            wg = str(row.meta.get("wg") or "").strip().upper()
            counts[(wg, record_type.id)] = counts.get((wg, record_type.id), 0) + 1
    groups = [(code, title) for code, title in WORKING_GROUPS.items()]
    if any(wg == "" for wg, _ in counts):
        groups.append(("", "No working group"))
    return render_template("records/matrix.html", types=record_types, groups=groups, counts=counts)


@bp.get("/-/tags")
def tags():
    require(READ)
    allowed = read_filter()
    counts: dict[str, int] = {}
    for name, page_tags in _tagged():
        if allowed is None or allowed(name):
            for tag in set(page_tags):
                counts[tag] = counts.get(tag, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    return render_template("records/tags.html", tags=ordered)


@bp.get("/-/tags/<path:tag>")
def tag(tag: str):
    require(READ)
    allowed = read_filter()
    folded = tag.casefold()
    pages = sorted(
        (
            name
            for name, page_tags in _tagged()
            if any(t.casefold() == folded for t in page_tags) and (allowed is None or allowed(name))
        ),
        key=str.casefold,
    )
    if not pages:
        raise PageNotFound(N_("No page has the tag '%(tag)s'."), tag=tag)
    return render_template("records/tag.html", tag=tag, pages=pages)


def _tagged():
    wiki = get_wiki()
    head = wiki.head()
    if head is not None and not wiki.page_table_ready(head):
        raise TableNotReady(N_("The table of pages is being built; try again in a minute."))
    return wiki.links.tagged() if wiki.links is not None else []


@bp.get("/-/compare")
def compare():
    """2 to 5 records of one type side by side: fields as rows, then the body sections
    aligned by heading."""
    from ..pages.frontmatter import parse
    from ..records.service import sections_of

    wanted = list(dict.fromkeys(request.args.getlist("page")))
    if not 2 <= len(wanted) <= 5:
        raise InvalidContent(N_("Choose 2 to 5 records to compare."))
    wiki, records = get_wiki(), services().records
    allowed = read_filter()
    shown = []
    for raw_name in wanted:
        name = names.normalize(raw_name)
        require(READ, name)
        text = wiki.page(name).text
        meta = parse(text, strict=False).meta
        record_type = records.type_of(meta)
        if record_type is None:
            raise InvalidContent(
                N_("'%(name)s' is not a record, so it cannot be compared."), name=name
            )
        shown.append((name, text, meta, record_type))
    record_type = shown[0][3]
    if any(t.id != record_type.id for *_, t in shown):
        raise InvalidContent(N_("Records of different types cannot be compared."))
    columns = []
    order = list(record_type.sections)
    for name, text, meta, _ in shown:
        sections = dict(sections_of(text))
        for heading in sections:
            if heading and heading.casefold() not in {h.casefold() for h in order}:
                order.append(heading)
        rendered = {
            heading.casefold(): wiki.render(body, name, visible=allowed).html
            for heading, body in sections.items()
        }
        info = records.info(meta, list(sections))
        columns.append(
            {
                "name": name,
                "title": _title(meta, name),
                "fields": dict(info[1]),
                "sections": rendered,
                "check": info[2],
            }
        )
    rows = [(f.label(ui_language()), f.name) for f in record_type.fields]
    # a section row only where some record has that section
    order = [h for h in ["", *order] if any(c["sections"].get(h.casefold()) for c in columns)]
    return render_template(
        "records/compare.html", record_type=record_type, columns=columns, rows=rows, order=order
    )


def _title(meta: dict, name: str) -> str:
    return str(meta.get("title") or "").strip() or names.leaf(name)
