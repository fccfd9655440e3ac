"""Renaming and deleting a page (routes of the `pages` blueprint, views/pages.py)."""

from __future__ import annotations

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from ..access.auth import WRITE
from ..access.auth import can
from ..access.auth import current_author
from ..errors import EditConflict
from ..errors import InvalidPageName
from ..i18n import localized
from ..pages import names
from . import get_wiki
from . import page_url
from .pages import _breadcrumbs
from .pages import _no_write_message
from .pages import _writable_page


def rename(name: str):
    wiki = get_wiki()
    name = _writable_page(name)
    if request.method == "GET":
        return _rename_form(name, name, wiki.head() or "")
    new_name = request.form.get("new_name", "")
    base = request.form.get("base_revision", "")
    try:
        if not can(WRITE, names.normalize(new_name)):
            flash(_no_write_message(names.normalize(new_name)), "error")
            return _rename_form(name, new_name, base, status=403)
        new_name = wiki.rename_page(
            name,
            new_name,
            author=current_author(),
            message=request.form.get("message", ""),
            base_revision=base or None,
            rewrite_links=request.form.get("rewrite_links") == "1",
            writable=lambda page: can(WRITE, page),  # never a page the user may not change
        )
    except InvalidPageName as problem:
        flash(localized(problem), "error")
        return _rename_form(name, new_name, base, status=400)
    except EditConflict as conflict:
        flash(_changed_meanwhile(conflict), "error")
        return _rename_form(
            name, new_name, conflict.current_revision or "", status=409, changed_from=base
        )
    flash(_("Renamed to '%(new_name)s'. The old address leads here.", new_name=new_name), "success")
    return redirect(page_url(new_name))


def _rename_form(name, new_name, base, *, status=200, changed_from=None):
    pages, links = get_wiki().count_links_to(name, lambda page: can(WRITE, page))
    return render_template(
        "pages/rename.html",
        name=name,
        new_name=new_name,
        base_revision=base,
        changed_from=changed_from,
        breadcrumbs=_breadcrumbs(name),
        linking_pages=pages,
        linking_links=links,
    ), status


def _changed_meanwhile(conflict: EditConflict) -> str:
    who = ", ".join(conflict.authors) or "Someone"
    return f"{who} changed this page after you opened this form. {conflict.message}"


def delete(name: str):
    wiki = get_wiki()
    name = _writable_page(name)
    if request.method == "GET":
        return _delete_form(name, wiki.head() or "")
    base = request.form.get("base_revision", "")
    try:
        wiki.delete_page(
            name,
            author=current_author(),
            message=request.form.get("message", ""),
            base_revision=base or None,
        )
    except EditConflict as conflict:
        flash(_changed_meanwhile(conflict), "error")
        return _delete_form(name, conflict.current_revision or "", status=409, changed_from=base)
    flash(
        _(
            "Deleted '%(name)s'. Its history keeps every revision; restore it from there.",
            name=name,
        ),
        "success",
    )
    return redirect(url_for("pages.history", name=name))


def _delete_form(name, base, *, status=200, changed_from=None):
    return render_template(
        "pages/delete.html",
        name=name,
        base_revision=base,
        changed_from=changed_from,
        breadcrumbs=_breadcrumbs(name),
    ), status
