"""Collections of typed records: `/-/types`, `/-/types/<id>` (table, filters, sorting,
CSV and JSON export) and `/-/api/v1/types`. Every row passes the reader's read gate."""

from __future__ import annotations

import csv
import functools
import html as htmllib
import io
import re

from flask import Blueprint
from flask import Response
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ..access.auth import READ
from ..access.auth import WRITE
from ..access.auth import current_author
from ..access.auth import read_filter
from ..access.auth import require
from ..app import services
from ..errors import N_
from ..errors import InvalidContent
from ..errors import InvalidPageName
from ..errors import PageNotFound
from ..errors import PermissionDenied
from ..errors import WikiError
from ..i18n import localized
from ..i18n import ui_language
from ..pages import names
from ..records.service import run_query
from ..records.types import RecordType
from . import get_wiki
from . import page_number
from . import page_url

bp = Blueprint("records", __name__)
PAGE_SIZE = 50
RESERVED = {"page", "sort", "format", "incomplete"}  # parameters that are not field filters


class TableNotReady(WikiError):
    status = 503


def _visible_types() -> dict[str, RecordType]:
    """The types whose page the reader may read (the others are not there for them)."""
    allowed = read_filter()
    found = services().records.types()
    return {k: t for k, t in found.items() if allowed is None or allowed(t.page)}


def _type(type_id: str) -> RecordType:
    record_type = _visible_types().get(type_id)
    if record_type is None:
        raise PageNotFound(N_("There is no record type '%(type_id)s'."), type_id=type_id)
    return record_type


def _rows(record_type: RecordType):
    columns = [("title", _("Title"))] + [
        (f.name, f.label(ui_language())) for f in record_type.fields
    ]
    known = {name for name, _ in columns}
    filters = {
        key: value.strip()
        for key, value in request.args.items()
        if key in known and key not in RESERVED and value.strip()
    }
    try:
        rows = services().records.rows(record_type, visible=read_filter(), narrow=filters)
    except LookupError:
        raise TableNotReady(
            N_("The table of records is being built after an update; try again in a minute.")
        ) from None
    for key, wanted in filters.items():
        wanted_folded = wanted.casefold()
        rows = [
            r
            for r in rows
            if _matches(r.meta.get(key) if key != "title" else r.title, wanted_folded)
        ]
    if request.args.get("incomplete") == "1":
        rows = [r for r in rows if r.check.incomplete]
    sort = request.args.get("sort", "title")
    key = sort.lstrip("-")
    if key not in known:
        key, sort = "title", "title"
    rows.sort(
        key=lambda r: (r.value(key) == "", r.value(key).casefold(), r.name.casefold()),
        reverse=sort.startswith("-"),
    )
    return columns, filters, sort, rows


def _matches(value, wanted_folded: str) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(str(v).strip().casefold() == wanted_folded for v in values if v is not None)


@bp.get("/-/types")
def types():
    require(READ)
    record_types = sorted(_visible_types().values(), key=lambda t: t.title.casefold())
    counts = {}
    allowed = read_filter()
    for record_type in record_types:
        try:
            counts[record_type.id] = len(services().records.rows(record_type, visible=allowed))
        except LookupError:
            counts[record_type.id] = None
    return render_template("records/types.html", types=record_types, counts=counts)


@bp.get("/-/types/<type_id>")
def collection(type_id: str):
    record_type = _type(type_id)
    columns, filters, sort, rows = _rows(record_type)
    wanted = request.args.get("format", "")
    if wanted == "csv":
        return _csv(record_type, columns, rows)
    if wanted == "json":
        return jsonify(
            type=record_type.id,
            records=[
                {
                    "name": r.name,
                    "title": r.title,
                    "incomplete": r.check.incomplete,
                    **{name: r.meta.get(name) for name, _ in columns[1:]},
                }
                for r in rows
            ],
        )
    page = page_number()
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    choices = {f.name: f.values if f.values else None for f in record_type.fields}
    return render_template(
        "records/collection.html",
        record_type=record_type,
        columns=columns,
        filters=filters,
        sort=sort,
        rows=shown,
        total=len(rows),
        # only administrators see the field renaming form (and its count of every record)
        total_all=len(services().records.rows(record_type)) if _is_admin() else 0,
        head=get_wiki().head() or "",
        page=page,
        pages=pages,
        choices=choices,
        incomplete=request.args.get("incomplete") == "1",
        link_for=functools.partial(_link, record_type.id),
    )


def _is_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "admin")


def _link(type_id: str, **changes) -> str:
    """This collection's address with some parameters changed (None: removed)."""
    params = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return url_for("records.collection", type_id=type_id, **params)


def _csv(record_type: RecordType, columns, rows) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", *[name for name, _ in columns], "incomplete"])
    for row in rows:
        writer.writerow(
            [
                row.name,
                *[_cell(row.value(name)) for name, _ in columns],
                "yes" if row.check.incomplete else "",
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM, so that spreadsheets read UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{record_type.id}.csv"'},
    )


def _cell(value: str) -> str:
    # a cell that a spreadsheet would run as a formula is kept as text
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@bp.get("/-/new-record")
def new_any():
    """New → a record of any type: its title, its type, the folder (the one the user was
    in, else the type's own)."""
    require(WRITE)
    if request.args.get("title", "").strip() and request.args.get("type"):
        return new_record(request.args["type"])  # the form below, sent
    return render_template(
        "records/new.html",
        types=sorted(_visible_types().values(), key=lambda t: t.title.casefold()),
        folder=request.args.get("folder", "").strip().strip("/"),
        chosen=request.args.get("type", ""),
    )


def given_fields(record_type: RecordType) -> dict[str, str]:
    """The type's fields given in the address (a new record starts with them filled in)."""
    return {f.name: request.args[f.name] for f in record_type.fields if f.name in request.args}


@bp.get("/-/types/<type_id>/new")
def new_record(type_id: str):
    """Ask for a title (the form on the collection), then open the editor with the type's
    fields and sections, in the folder given or the type's own."""
    record_type = _type(type_id)
    title = " ".join(request.args.get("title", "").split())
    folder = request.args.get("folder", "").strip().strip("/") or record_type.folder
    if not title:
        return redirect(
            url_for("records.new_any", type=type_id, folder=folder, **given_fields(record_type))
        )
    name = f"{folder}/{title}" if folder else title
    try:
        name = names.normalize(name)
    except InvalidPageName as problem:
        flash(localized(problem), "error")
        return redirect(url_for("records.collection", type_id=type_id))
    require(WRITE, name)
    if get_wiki().exists(name):
        flash(_("'%(name)s' exists already: here it is.", name=name), "error")
        return redirect(page_url(name))
    return redirect(url_for("pages.edit", name=name, type=type_id, **given_fields(record_type)))


@bp.app_context_processor
def _editor_globals() -> dict:
    return {"record_form_data": record_form_data}


def record_form_data() -> dict:
    """What the editor's record form needs (records.js): the types by id, with their fields,
    and the lists of countries, working groups and languages."""
    from ..records.validate import COUNTRIES
    from ..records.validate import LANGUAGES
    from ..records.validate import WORKING_GROUPS

    return {
        "types": {
            t.id: {
                "id": t.id,
                "title": t.title,
                "fields": [
                    {
                        "name": f.name,
                        "label": f.label(ui_language()),
                        "kind": f.kind,
                        "required": f.required,
                        "values": list(f.values),
                        "folder": f.folder,
                    }
                    for f in t.fields
                ],
            }
            for t in services().records.types().values()
        },
        "countries": list(COUNTRIES),
        "working_groups": [[code, title] for code, title in WORKING_GROUPS.items()],
        "languages": [[code, name] for code, name in LANGUAGES.items()],
    }


@bp.post("/-/types/<type_id>/rename-field")
def rename_field(type_id: str):
    """An administrator renames a field of a type and its key in every record, one commit."""
    record_type = _type(type_id)
    require(WRITE, record_type.page)
    if not _is_admin():
        raise PermissionDenied(N_("Only administrators rename the fields of a type."))
    old = request.form.get("field", "")
    new = request.form.get("new_name", "").strip()
    try:
        revision = services().records.rename_field(
            record_type,
            old,
            new,
            author=current_author(),
            base_revision=request.form.get("base_revision") or None,
        )
    except InvalidContent as problem:
        flash(localized(problem), "error")
        return redirect(url_for("records.collection", type_id=type_id)), 303
    if revision is not None:
        flash(
            _(
                "Renamed the field %(old)s to %(new)s in the type and its records.",
                old=old,
                new=new,
            ),
            "success",
        )
    return redirect(url_for("records.collection", type_id=type_id))


@bp.get("/-/api/v1/types")
def api_types():
    return jsonify(
        [
            {
                "id": t.id,
                "title": t.title,
                "page": t.page,
                "folder": t.folder,
                "sections": list(t.sections),
                "fields": [
                    {
                        "name": f.name,
                        "label": f.labels,
                        "kind": f.kind,
                        "required": f.required,
                        "values": list(f.values),
                        **({"folder": f.folder} if f.folder else {}),
                    }
                    for f in t.fields
                ],
            }
            for t in sorted(_visible_types().values(), key=lambda t: t.id)
        ]
    )


_QUERY_BLOCK = re.compile(r'<pre><code class="language-query">(.*?)</code></pre>', re.S)


def expand_queries(html: Markup) -> Markup:
    """A page's HTML with each `query` block drawn as the live table of records it asks
    for, as the current reader may see them. The rendered page (and its cache) keeps the
    block itself, so a result is never stale and a clone keeps the question."""
    if 'class="language-query"' not in html:
        return html
    records, allowed = services().records, read_filter()

    def table(match: re.Match) -> str:
        spec = htmllib.unescape(match.group(1))
        result = run_query(records, spec, visible=allowed, language=ui_language())
        return render_template("records/_query.html", result=result)

    return Markup(_QUERY_BLOCK.sub(table, str(html), count=20))
