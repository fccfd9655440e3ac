"""Blueprint "pages": view, edit, preview, history, diff, restore, rename, delete, backlinks."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access.auth import READ
from ..access.auth import WRITE
from ..access.auth import access
from ..access.auth import can
from ..access.auth import current_author
from ..access.auth import read_filter
from ..access.auth import readable
from ..access.auth import require
from ..app import services
from ..errors import N_
from ..errors import EditConflict
from ..errors import InvalidContent
from ..errors import InvalidPageName
from ..errors import InvalidRevision
from ..errors import PageNotFound
from ..errors import StorageError
from ..events.calendar import entries
from ..i18n import UI_LANGUAGES
from ..i18n import localized
from ..i18n import ui_language
from ..pages import names
from ..pages.courses import course_of
from ..pages.courses import materials
from ..pages.diffs import line_diff
from ..pages.diffs import side_by_side
from ..pages.translations import key_of
from ..pages.translations import outdated
from ..pages.translations import starting_text
from ..pages.translations import translations
from ..records.validate import LANGUAGES
from . import anoncache
from . import get_wiki
from . import new_page_name
from . import page_number
from . import page_url
from .community import mark_page_read
from .discussions import discussion_context
from .events import event_of
from .files import file_path
from .files import serve as serve_file
from .files import with_image_sizes
from .records import expand_queries
from .records import given_fields

bp = Blueprint("pages", __name__)


def _name(name: str) -> str:
    """Normalize a name from the URL (a bad one is a 400 with the rule it broke)."""
    return names.normalize(name)


@bp.get("/")
def home():
    return view(names.HOME)


@bp.get("/<path:name>")
def view(name: str):
    wiki = get_wiki()
    path = file_path(name)  # a file beside the pages (an image, a PDF) is served as is
    if path is not None:
        return serve_file(path)
    try:
        name = _name(name)
    except InvalidPageName:
        raise PageNotFound(N_("There is no page with that name.")) from None
    require(READ, name)
    key = anoncache.key_for(name)
    if key is not None:
        body = anoncache.cache().get(key)
        if body is not None:
            return Response(body, mimetype="text/html")
    response = _view(wiki, name)
    if (
        key is not None
        and isinstance(response, str)
        and not session.modified
        and not g.get("uncacheable")
        and wiki.head() == key[0]
    ):
        anoncache.cache().put(key, response.encode())
    return response


def _view(wiki, name: str):
    rev = request.args.get("rev")
    mark_page_read(name)
    try:
        page = wiki.page(name, rev or None, visible=read_filter())
    except PageNotFound:
        if rev:
            raise
        return _missing(name)
    space = access().space_of(name)
    panel = None
    if (
        space is not None
        and page.is_current
        and name.casefold() == (f"{space.name}/{names.HOME}".casefold())
    ):
        from .spaces import space_panel

        panel = space_panel(space)
        g.uncacheable = True  # the panel shows accounts, which are not in the cache key
    record = services().records.info(page.meta, [h.text for h in page.rendered.toc], ui_language())
    course = course_of(wiki, name, read_filter())
    return render_template(
        "pages/view.html",
        page=page,
        name=name,
        breadcrumbs=_breadcrumbs(name),
        space=space,
        panel=panel,
        record=record,
        body_html=with_image_sizes(expand_queries(page.rendered.html), name),
        event=event_of(name, page),
        course=course if page.is_current else None,
        course_home=_course_home(course, name) if page.is_current else None,
        files=wiki.files_in(names.folder(name), page.revision) if page.is_current else [],
        file_languages=LANGUAGES,
        translations=_translations(name, page) if page.is_current else [],
        outdated=outdated(wiki, name, page.meta) if page.is_current else None,
        discussion=discussion_context(name, page),
    )


def _translations(name: str, page) -> list:
    """The page's translations (and original), the reader's UI language first."""
    found = translations(
        get_wiki(), name, page.meta, read_filter(), current_app.config["DEFAULT_LANGUAGE"]
    )
    mine = ui_language()
    return sorted(found, key=lambda t: (t.language != mine, t.language or "~", t.name))


@bp.get("/-/translate/<path:name>")
def translate(name: str):
    """*Translate this page*: the new page's name, in the chosen language (a form), then
    the editor with the original's structure, the shared key and a link back."""
    name = _name(name)
    require(READ, name)
    wiki = get_wiki()
    page = wiki.page(name)
    original = key_of(name, page.meta)
    language = request.args.get("lang", "").strip().lower()
    if language not in UI_LANGUAGES:
        return render_template("pages/translate.html", name=name, page=page, original=original)
    target = request.args.get("target", "").strip() or f"{original} ({language})"
    try:
        target = names.normalize(target)
    except InvalidPageName as problem:
        flash(localized(problem), "error")
        return redirect(url_for("pages.translate", name=name))
    require(WRITE, target)
    if wiki.exists(target):
        flash(_("'%(name)s' exists already: here it is.", name=target), "error")
        return redirect(page_url(target))
    source = original if wiki.exists(original) and can(READ, original) else name
    return redirect(url_for("pages.edit", name=target, translate=source, lang=language))


@bp.get("/-/new")
def new_page():
    """*New page*: the name first, in the folder the user is in, then the editor. A name
    against the rules, or of a page that exists already, is said here before anything is
    typed; with `check=1` the same answer comes as JSON for the form's script."""
    require(WRITE)
    folder = _new_page_folder(request.args.get("folder", ""))
    if "name" not in request.args:
        return render_template(
            "pages/new.html", folder=folder, leaf="", problem=None, existing=None
        )
    target, problem = _new_page_name(folder, request.args["name"])
    existing = target if problem is None and get_wiki().exists(target) else None
    if request.args.get("check"):
        return jsonify(_new_page_answer(target, problem, existing))
    if problem is None and existing is None:
        return redirect(url_for("pages.edit", name=target))
    return render_template(
        "pages/new.html",
        folder=folder,
        leaf=request.args["name"],
        problem=problem,
        existing=existing,
    ), (400 if problem else 200)


def _new_page_folder(folder: str) -> str:
    """The folder the form starts with: the one asked for where the user may write there,
    else where the *New page* link would start."""
    folder = folder.strip().strip("/")
    try:
        if can(WRITE, names.normalize(f"{folder}/{names.HOME}" if folder else names.HOME)):
            return folder
    except InvalidPageName:
        return folder  # said when the form is sent
    return names.folder(new_page_name() or "")


def _new_page_name(folder: str, leaf: str) -> tuple[str, str | None]:
    """The new page's full name and what stops it (None: nothing). Whether a name exists is
    only told to those who may write there."""
    leaf = leaf.strip().strip("/")
    if not leaf:
        return folder, _("Give the page a name.")
    full = f"{folder}/{leaf}" if folder else leaf
    try:
        full = names.normalize(full)
        if not can(WRITE, full):
            return full, _("You may not create pages in this folder.")
        return get_wiki().check_new_name(full), None
    except InvalidPageName as problem:
        return full, localized(problem)


def _new_page_answer(target: str, problem: str | None, existing: str | None) -> dict:
    """The JSON answer of `/-/new?check=1`: the messages already in the reader's language."""
    if problem is not None:
        return {"name": target, "problem": problem, "exists": False}
    if existing is not None:
        return {
            "name": target,
            "exists": True,
            "message": _("'%(name)s' exists already.", name=target),
            "open": {"label": _("Open it"), "url": page_url(target)},
            "edit": {"label": _("Edit it"), "url": url_for("pages.edit", name=target)},
        }
    return {"name": target, "exists": False, "message": _("New page: %(name)s", name=target)}


def _course_home(course, name: str):
    """On a course's home page: its sessions (event records naming the course) and each
    module's materials."""
    if course is None or course.home != name:
        return None
    wanted = {course.home.casefold(), course.folder.casefold()}
    try:
        found = entries(services().records, visible=read_filter())
    except LookupError:
        found = []
    sessions = [
        e for e in found if any(v.strip("[]/").casefold() in wanted for v in e.values("course"))
    ]
    return {"sessions": sessions, "materials": materials(get_wiki(), course, read_filter())}


def _missing(name: str):
    """A missing page: redirect where it moved, or offer to create it (404)."""
    wiki = get_wiki()
    canonical = wiki.canonical(name)
    if canonical and canonical != name:
        return redirect(page_url(canonical), 301)
    moved = wiki.renamed_to(name)
    if moved and can(READ, moved):
        return redirect(page_url(moved), 301)
    home = f"{name}/{names.HOME}"
    if wiki.exists(home):
        return redirect(page_url(home))
    last = wiki.storage.last_change(names.to_path(name))
    folder = wiki.subtree(name)
    if folder is not None and not folder.is_page and (folder.children or wiki.files_in(name)):
        return _folder_index(name, folder)
    return render_template(
        "pages/missing.html",
        name=name,
        deleted=last,
        folder=folder if folder and folder.children else None,
        breadcrumbs=_breadcrumbs(name),
    ), 404


def _folder_index(name: str, folder):
    """A folder without a home page: its pages, subfolders and files (200). Every child
    is in the folder's space, whose read gate the caller passed."""
    wiki = get_wiki()
    children = folder.sorted_children()
    pages = [c.name for c in children if c.is_page]
    head = wiki.head()
    metas = wiki.links.metas(pages) if head and wiki.page_table_ready(head, wait=2) else {}
    titles = {p: str(metas.get(p, {}).get("title") or "") for p in pages}
    return render_template(
        "pages/folder.html",
        name=name,
        folders=[c for c in children if not c.is_page],
        pages=[c for c in children if c.is_page],
        titles=titles,
        files=wiki.files_in(name),
        file_languages=LANGUAGES,
        breadcrumbs=_breadcrumbs(name),
    )


def _breadcrumbs(name: str) -> list[tuple[str, str]]:
    """The trail after the wiki's *Home* link, the last item being where the reader is.

    A folder's home page is the folder itself (`Project/Home` is "Home / Project"), and
    *Home* is never said twice: the wiki's own Home page has no trail at all, and a
    top folder called Home is the root already."""
    parts = name.split("/")
    trail = [("/".join(parts[: i + 1]), part) for i, part in enumerate(parts)]
    if trail and _is_home(trail[-1][1]):
        trail.pop()  # Project/Home is the page of the folder Project
    if trail and _is_home(trail[0][1]):
        trail.pop(0)  # /Home is where the first link leads already
    return trail


def _is_home(part: str) -> bool:
    return part.casefold() == names.HOME.casefold()


@bp.route("/-/edit/<path:name>", methods=["GET", "POST"])
def edit(name: str):
    wiki = get_wiki()
    if request.method == "GET":
        name = _name(name)
        require(WRITE, name)
        # the text and the base revision of its save come from one read of HEAD
        text, head = wiki.snapshot(name)
        is_new = text is None
        if is_new:
            wiki.check_new_name(name)
            text = _template_for(name, request.args.get("type", ""))
        return render_template(
            "pages/edit.html",
            name=name,
            text=text,
            base_revision=head or "",
            message="",
            is_new=is_new,
            breadcrumbs=_breadcrumbs(name),
        )
    # A new page's name can be changed in the form; an existing page keeps its address.
    text = request.form.get("content", "")
    message = request.form.get("message", "")
    base = request.form.get("base_revision", "")
    target = request.form.get("name", name)
    try:
        target = _name(target)
    except InvalidPageName as problem:
        require(WRITE)
        flash(localized(problem), "error")
        return _edit_again(target, text, message, base, True, status=400)
    if not can(WRITE, target):
        # refused, but the text comes back: nothing typed is lost
        is_new = not (can(READ, target) and wiki.exists(target))
        if not current_user.is_authenticated:
            flash(
                _(
                    "You are not logged in (any more). Log in in another tab, then save "
                    "again: your text is below."
                ),
                "error",
            )
            return _edit_again(target, text, message, base, is_new, status=401)
        flash(_no_write_message(target), "error")
        return _edit_again(target, text, message, base, is_new, status=403)
    is_new = not wiki.exists(target)
    if g.get("csrf_failed"):
        flash(_("Your session expired before saving. Your text is below: save again."), "error")
        return _edit_again(target, text, message, base, is_new, status=400)
    try:
        result = wiki.save_page(
            target, text, author=current_author(), message=message, base_revision=base
        )
    except EditConflict as conflict:
        flash(conflict.message + " Your text is kept below, beside theirs.", "error")
        return _edit_again(
            target,
            text,
            message,
            conflict.current_revision or "",
            is_new,
            status=409,
            conflict=conflict,
        )
    except (InvalidContent, InvalidPageName, InvalidRevision) as problem:
        flash(localized(problem), "error")
        return _edit_again(target, text, message, base, is_new, status=400)
    except StorageError as problem:
        if problem.status >= 500:
            raise
        flash(localized(problem), "error")
        return _edit_again(target, text, message, base, is_new, status=problem.status)
    if result.revision is None:
        flash(_("No changes to save."), "info")
    elif result.merged_with:
        flash(
            _(
                "Saved. Your edit was merged with changes by %(names)s made while you were "
                "editing.",
                names=", ".join(result.merged_with),
            ),
            "info",
        )
    else:
        flash(_("Saved."), "success")
    return redirect(page_url(result.name))


def _edit_again(name, text, message, base, is_new, *, status, conflict=None):
    """The edit form again, with everything the user typed (status 400 or 409)."""
    diff = line_diff(conflict.current_text, text) if conflict else None
    return render_template(
        "pages/edit.html",
        name=name,
        text=text,
        message=message,
        base_revision=base,
        is_new=is_new,
        conflict=conflict,
        diff=diff,
        breadcrumbs=None,
    ), status


def _no_write_message(name: str) -> str:
    space = access().space_of(name)
    if space is None:
        return (
            "Your account may not edit pages outside the working-group spaces. "
            "Ask an administrator for the editor role."
        )
    return f"You may not write in the space {space.title} ('{space.name}')."


def _template_for(name: str, type_id: str = "") -> str:
    """What a new page starts with: its title, or a record type's fields and sections, or
    (`?translate=<page>&lang=`) the structure of the page it translates."""
    source, language = request.args.get("translate", ""), request.args.get("lang", "")
    if source and language in UI_LANGUAGES:
        try:
            source = names.normalize(source)
            original = get_wiki().page(source) if can(READ, source) else None
        except (InvalidPageName, PageNotFound):
            original = None
        if original is not None:
            key = key_of(source, original.meta)
            return starting_text(key, original.text, original.title, language)
    title = names.leaf(name)
    record_type = services().records.types().get(type_id) if type_id else None
    if record_type is not None:  # fields given in the address start filled in
        return services().records.template(record_type, title, given_fields(record_type))
    return f"# {title}\n\n"


@bp.post("/-/preview")
def preview():
    name = request.form.get("name", "")
    try:
        name = _name(name) if name else ""
    except InvalidPageName:
        name = ""
    # previews are for people writing (they render arbitrary text), where they write
    require(WRITE, name or None)
    text = request.form.get("content", "")
    try:
        get_wiki().check_text(text, name or None)
        # links to pages the writer may not read look the same whether they exist or not
        rendered = get_wiki().render(text, name, strict=True, visible=read_filter())
    except InvalidContent as problem:
        return Response(
            render_template("pages/_preview_error.html", message=localized(problem)),
            status=400,
            mimetype="text/html",
            # the editor shows this body in the preview pane (and no other 400's)
            headers={"X-Preview-Problem": "1"},
        )
    return render_template("pages/_preview.html", rendered=rendered)


@bp.get("/-/raw/<path:name>")
def raw(name: str):
    name = _name(name)
    require(READ, name)
    rev = request.args.get("rev")
    text = get_wiki().source(name, rev)
    return Response(text, mimetype="text/plain", headers={"X-Content-Type-Options": "nosniff"})


@bp.get("/-/history/<path:name>")
def history(name: str, status: int = 200):
    from flask import current_app

    name = _name(name)
    require(READ, name)
    size = current_app.config["HISTORY_PAGE_SIZE"]
    page = page_number()
    wiki = get_wiki()
    head = wiki.head()  # the history as of one commit, handed to restore as its base
    revisions = wiki.history(name, limit=size + 1, offset=(page - 1) * size, upto=head)
    if not revisions and page == 1:
        raise PageNotFound(N_("There is no history for '%(name)s'."), name=name)
    has_next = len(revisions) > size
    return render_template(
        "pages/history.html",
        name=name,
        revisions=revisions[:size],
        page=page,
        has_next=has_next,
        breadcrumbs=_breadcrumbs(name),
        exists=name in wiki.state(head).names,
        base_revision=head or "",
    ), status


@bp.get("/-/diff/<path:name>")
def diff(name: str):
    name = _name(name)
    require(READ, name)
    wiki = get_wiki()
    rev_to = request.args.get("to") or wiki.head()
    rev_from = request.args.get("from")
    if not rev_to:
        raise PageNotFound(N_("This wiki has no revisions yet."))
    if not rev_from:
        # compare a revision with the one before it in the page's history
        sha_to = wiki.storage.resolve(rev_to)
        before = wiki.storage.previous_change(names.to_path(name), sha_to)
        rev_from = before.id if before is not None else sha_to
    old, new, sha_from, sha_to = wiki.diff(name, rev_from, rev_to)
    layout = _diff_layout()
    whole = request.args.get("context") == "all"
    changes = line_diff(old, new, context=None if whole else 3)
    path = names.to_path(name)
    response = make_response(
        render_template(
            "pages/diff.html",
            name=name,
            diff=changes,
            rows=side_by_side(changes) if layout == "split" else None,
            layout=layout,
            whole=whole,
            rev_from=sha_from,
            rev_to=sha_to,
            # each side named by the change that made the page as it was there
            change_from=wiki.storage.last_change(path, upto=sha_from),
            change_to=wiki.storage.last_change(path, upto=sha_to),
            breadcrumbs=_breadcrumbs(name),
        )
    )
    if request.args.get("view") == layout:  # a layout chosen is the next diff's too
        response.set_cookie(
            DIFF_LAYOUT_COOKIE, layout, max_age=365 * 86400, samesite="Lax", httponly=True
        )
    return response


DIFF_LAYOUT_COOKIE = "diff_view"
DIFF_LAYOUTS = ("inline", "split")


def _diff_layout() -> str:
    """How to lay a diff out: `?view=` (inline or split), else the reader's last choice
    (a cookie), else inline, which fits every screen."""
    for wanted in (request.args.get("view"), request.cookies.get(DIFF_LAYOUT_COOKIE)):
        if wanted in DIFF_LAYOUTS:
            return wanted
    return DIFF_LAYOUTS[0]


@bp.post("/-/restore/<path:name>")
def restore(name: str):
    name = _name(name)
    require(WRITE, name)
    revision = request.form.get("revision", "")
    try:
        result = get_wiki().restore_page(
            name, revision, author=current_author(), base_revision=request.form.get("base_revision")
        )
    except EditConflict as conflict:
        who = ", ".join(conflict.authors) or _("someone")
        flash(
            _(
                "The page was changed on the same lines after you opened its history, so "
                "revision %(revision)s was not restored: %(who)s changed it meanwhile. Look "
                "at the newest revision, then try again.",
                revision=revision[:8],
                who=who,
            ),
            "error",
        )
        return history(name, status=409)
    if result.revision is None:
        flash(_("That revision is the same as the current page: nothing to restore."), "info")
    else:
        flash(
            _("Restored the page as it was in revision %(revision)s.", revision=revision[:8]),
            "success",
        )
    return redirect(page_url(name))


def _writable_page(name: str) -> str:
    """The normalized name of an existing page the user may change.

    :raises PageNotFound, LoginRequired, PermissionDenied:
    """
    name = _name(name)
    require(WRITE, name)
    if not get_wiki().exists(name):
        raise PageNotFound(N_("There is no page called '%(name)s'."), name=name)
    return name


@bp.get("/-/backlinks/<path:name>")
def backlinks(name: str):
    name = _name(name)
    require(READ, name)
    wiki = get_wiki()
    if not wiki.exists(name):
        abort(404)
    return render_template(
        "pages/backlinks.html",
        name=name,
        pages=readable(wiki.backlinks(name)),
        breadcrumbs=_breadcrumbs(name),
    )


# renaming and deleting live in views/moves.py, on this blueprint
from .moves import delete  # noqa: E402
from .moves import rename  # noqa: E402

bp.add_url_rule("/-/rename/<path:name>", view_func=rename, methods=["GET", "POST"])
bp.add_url_rule("/-/delete/<path:name>", view_func=delete, methods=["GET", "POST"])
