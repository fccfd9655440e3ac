"""Files of the repository served at their own paths (the read gate of their space, the
same 404 as a missing file), old versions with `?rev=`, their history, and the files API
(`/-/api/v1/files/<path>`: upload, read, delete)."""

from __future__ import annotations

import html as htmllib
import io
import posixpath
import re
from urllib.parse import unquote

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from ..access.auth import READ
from ..access.auth import WRITE
from ..access.auth import current_author
from ..access.auth import is_safe_next
from ..access.auth import read_filter
from ..access.auth import require
from ..app import services
from ..errors import N_
from ..errors import InvalidContent
from ..errors import InvalidPageName
from ..errors import PageNotFound
from ..files.images import HEADER_BYTES
from ..files.images import dimensions
from ..files.previews import wants_preview
from ..files.serving import kind_of
from ..i18n import localized
from ..pages import names
from ..pages.attachments import given_language
from ..records.validate import LANGUAGES
from . import get_wiki

bp = Blueprint("files", __name__)
SANDBOX = "sandbox; default-src 'none'"  # a download opened anyway runs nothing
INLINE = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"


def file_path(raw: str) -> str | None:
    """The repository path of a non-page file a URL names, when it exists at HEAD."""
    wiki = get_wiki()
    try:
        path = names.normalize(raw)
    except Exception:
        return None
    if path.endswith(names.SUFFIX) or path not in wiki.state().files:
        return None
    return path


def serve(path: str):
    """A file's bytes (HEAD, or `?rev=`), typed and inline only when safe (files.serving)."""
    require(READ, path)
    wiki = get_wiki()
    rev = request.args.get("rev") or None
    head = wiki.head()
    if request.args.get("preview") and rev is None:
        preview = _preview(path, head)
        if preview is not None:
            return preview
    data = wiki.storage.read_bytes(path, rev)
    mimetype, inline = kind_of(path, data)
    tag = (rev or head or "") + ":" + path
    response = send_file(
        io.BytesIO(data),
        mimetype=mimetype,
        as_attachment=not inline,
        download_name=names.leaf(path),
        conditional=True,
        etag=wiki.storage.files_at(head).get(path, tag) if rev is None else tag,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"  # rights may change: revalidate
    if not inline:
        response.headers["Content-Security-Policy"] = SANDBOX
    elif mimetype != "application/pdf":
        response.headers["Content-Security-Policy"] = INLINE
    return response


def _preview(path: str, head: str | None):
    """The downscaled preview of a large image (wiki/files/previews.py), or None when it
    has none (then the image itself is served)."""
    wiki = get_wiki()
    blob = wiki.storage.files_at(head).get(path)
    if blob is None:
        return None
    if not _image_facts(path, blob)[1]:
        return None  # only large PNG, JPEG, WebP and GIF images have previews
    data = services().previews().get(blob, lambda: wiki.storage.objects.read(bytes.fromhex(blob)))
    if data is None:
        return None
    response = send_file(
        io.BytesIO(data), mimetype="image/webp", conditional=True, etag=f"{blob}-preview"
    )
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = INLINE
    return response


@bp.get("/-/library")
def library():
    """The document library: every file the reader may read, filtered by space, type and
    year, sorted by name, date or size."""
    require(READ)  # the gate of every listing (a private wiki asks to log in)
    wiki = get_wiki()
    allowed = read_filter()
    files = wiki.all_files(allowed)
    head = wiki.head()
    groups = {f.path: wiki.file_groups(f.path, head, visible=allowed) for f in files}
    chosen = {key: request.args.get(key, "") for key in ("space", "wg", "lang", "type", "year")}
    chosen["type"] = chosen["type"].lower()

    def ext(f) -> str:
        return f.name.rpartition(".")[2].lower() if "." in f.name else ""

    def space(f) -> str:
        return f.path.split("/", 1)[0] if "/" in f.path else ""

    def year(f) -> str:
        return str(f.last_change.date.year) if f.last_change else ""

    facets = {
        "space": sorted({space(f) for f in files} - {""}, key=str.casefold),
        "wg": sorted({g for f in files for g in groups[f.path]}),
        "lang": sorted({f.language for f in files} - {""}),
        "type": sorted({ext(f) for f in files} - {""}),
        "year": sorted({year(f) for f in files} - {""}, reverse=True),
    }
    tests = {
        "space": space,
        "wg": lambda f: chosen["wg"] if chosen["wg"] in groups[f.path] else None,
        "lang": lambda f: f.language,
        "type": ext,
        "year": year,
    }
    for key, value_of in tests.items():
        if chosen[key]:
            files = [f for f in files if value_of(f) == chosen[key]]
    sort = request.args.get("sort", "name")
    keys = {
        "name": lambda f: f.name.casefold(),
        "date": lambda f: f.last_change.date.timestamp() if f.last_change else 0,
        "size": lambda f: f.size,
    }
    files.sort(key=keys.get(sort, keys["name"]), reverse=sort in ("date", "size"))
    return render_template(
        "files/library.html",
        # each file with the pages (that the reader may read) showing or linking to it
        linking={f.path: wiki.pages_linking(f.path, allowed) for f in files[:500]},
        files=files[:500],
        total=len(files),
        groups=groups,
        facets=facets,
        languages=LANGUAGES,
        filtered=any(chosen.values()),
        chosen={**chosen, "sort": sort},
    )


@bp.get("/-/files/history/<path:path>")
def history(path: str):
    try:
        path = names.normalize(path)
    except Exception:
        raise PageNotFound(N_("There is no such file.")) from None
    require(READ, path)
    wiki = get_wiki()
    revisions = wiki.storage.history(path, limit=200, upto=wiki.head())
    if not revisions or path.endswith(names.SUFFIX):
        raise PageNotFound(N_("There is no history for '%(path)s'."), path=path)
    return render_template(
        "files/history.html", path=path, revisions=revisions, exists=path in wiki.state().files
    )


@bp.post("/-/files/upload")
def upload_form():
    """The Files panel's upload: one or more files into a folder (a new version when the
    name exists), one commit each, then back to the page."""
    folder = request.form.get("folder", "").strip().strip("/")
    back = request.form.get("next") or "/"
    request.max_content_length = current_app.config["MAX_FILE_BYTES"] + (1 << 16)
    uploads = [f for f in request.files.getlist("file") if f.filename]
    wiki = get_wiki()
    try:
        language = _language(request.form.get("lang", ""))
        for upload in uploads:
            name = upload.filename.replace("\\", "/").rpartition("/")[2].strip()
            path = names.normalize(f"{folder}/{name}" if folder else name)
            if path.endswith(names.SUFFIX):
                raise InvalidContent(
                    N_("'%(name)s' is a page file: write pages in the editor."), name=name
                )
            require(WRITE, path)
            data = upload.stream.read(current_app.config["MAX_FILE_BYTES"] + 1)
            if len(data) > current_app.config["MAX_FILE_BYTES"]:
                raise InvalidContent(
                    N_("'%(name)s' is larger than %(limit)s."),
                    name=name,
                    limit=_words(current_app.config["MAX_FILE_BYTES"]),
                )
            wiki.save_file(path, data, author=current_author(), language=language)
    except (InvalidContent, InvalidPageName) as problem:
        flash(localized(problem), "error")
        return redirect(_local(back))
    finally:
        for upload in uploads:
            upload.close()
    if uploads:
        flash(
            ngettext("Uploaded %(num)d file.", "Uploaded %(num)d files.", len(uploads)), "success"
        )
    return redirect(_local(back))


@bp.post("/-/files/delete/<path:path>")
def delete_form(path: str):
    path = names.normalize(path)
    require(WRITE, path)
    get_wiki().delete_file(
        path, author=current_author(), base_revision=request.form.get("base_revision") or None
    )
    flash(_("Deleted %(path)s (it stays in the history).", path=names.leaf(path)), "success")
    return redirect(_local(request.form.get("next") or "/"))


@bp.post("/-/files/rename/<path:path>")
def rename_form(path: str):
    path = names.normalize(path)
    require(WRITE, path)
    folder = names.folder(path)
    new_leaf = request.form.get("new_name", "").strip()
    try:
        new = names.normalize(f"{folder}/{new_leaf}" if folder else new_leaf)
        if new.endswith(names.SUFFIX) or get_wiki().storage.exists(new):
            raise InvalidContent(
                N_("'%(new_leaf)s' cannot be used: it is a page name or exists."), new_leaf=new_leaf
            )
        require(WRITE, new)
        language = given_language(get_wiki().storage.last_change(path))
        get_wiki().storage.rename(
            path,
            new,
            author=current_author(),
            # the file keeps the language given at upload
            message=f"Rename {path} to {new}" + (f"\n\nLanguage: {language}" if language else ""),
            base_revision=request.form.get("base_revision") or None,
        )
        get_wiki()._committed()
    except (InvalidContent, InvalidPageName) as problem:
        flash(localized(problem), "error")
    else:
        flash(_("Renamed to %(new)s.", new=names.leaf(new)), "success")
    return redirect(_local(request.form.get("next") or "/"))


def _local(target: str) -> str:
    return target if is_safe_next(target) else "/"


@bp.route("/-/api/v1/files/<path:path>", methods=["GET", "POST", "DELETE"])
def api_file(path: str):
    try:
        path = names.normalize(path)
    except Exception as problem:
        raise InvalidContent(N_("That is not a file name: %(problem)s"), problem=problem) from None
    if path.endswith(names.SUFFIX):
        raise InvalidContent(N_("A .md file is a page: use the pages API for it."))
    if request.method == "GET":
        if file_path(path) is None:
            require(READ, path)
            raise PageNotFound(N_("There is no file '%(path)s'."), path=path)
        return serve(path)
    require(WRITE, path)
    wiki = get_wiki()
    if request.method == "DELETE":
        rev = wiki.delete_file(
            path, author=current_author(), base_revision=request.args.get("base_revision") or None
        )
        return jsonify(path=path, revision=rev.id, deleted=True)
    # this request alone may carry a file (the app's limit is sized for pages)
    request.max_content_length = current_app.config["MAX_FILE_BYTES"] + (1 << 16)
    upload = request.files.get("file")
    if upload is None:
        raise InvalidContent('Send the file as multipart form data in the field "file".')
    limit = current_app.config["MAX_FILE_BYTES"]
    try:
        data = upload.stream.read(limit + 1)
    finally:
        upload.close()  # a large upload was spooled to a temporary file
    if len(data) > limit:
        return jsonify(error=f"The file is larger than {_words(limit)}."), 413
    language = _language(request.form.get("lang", ""))
    existed = wiki.storage.exists(path)
    rev = wiki.save_file(
        path,
        data,
        author=current_author(),
        message=request.form.get("message", ""),
        language=language,
    )
    return jsonify(path=path, revision=rev.id if rev else None, changed=rev is not None), (
        200 if existed else 201
    )


def _language(code: str) -> str:
    """A language given at upload ("" for the page's or the space's): a code the wiki
    knows, else a clear refusal."""
    code = code.strip().lower()
    if code and code not in LANGUAGES:
        known = ", ".join(sorted(LANGUAGES))
        raise InvalidContent(
            N_("'%(code)s' is not a language code the wiki knows (%(known)s)."),
            code=code,
            known=known,
        )
    return code


def _words(size: int) -> str:
    return f"{size / (1 << 20):.0f} MB" if size >= 1 << 20 else f"{size // 1024} KB"


_IMG = re.compile(r'<img src="(?P<src>[^"]+)"(?P<rest>[^>]*)>')
# (blob, extension) -> (size, preview?)
_SIZES: dict[tuple[str, str], tuple[tuple[int, int] | None, bool]] = {}


def _image_facts(path: str, blob: str) -> tuple[tuple[int, int] | None, bool]:
    """An image's (width, height) and whether pages show a preview of it: read once per
    blob (a blob never changes), for pages and for the preview's address alike."""
    key = (blob, posixpath.splitext(path)[1].lower())  # the same bytes may have two names
    found = _SIZES.get(key)
    if found is None:
        if len(_SIZES) > 4096:
            _SIZES.clear()
        data = get_wiki().storage.objects.read(bytes.fromhex(blob))
        header = data[:HEADER_BYTES]
        found = _SIZES[key] = dimensions(header), wants_preview(path, len(data), header)
    return found


def with_image_sizes(html: Markup, page: str) -> Markup:
    """A page's HTML with the width and height of each of its images from the repository,
    so that the page does not jump while they load."""
    if "<img " not in html:
        return html
    wiki = get_wiki()
    files = wiki.storage.files_at(wiki.head())
    folder = names.folder(page)

    def sized(match: re.Match) -> str:
        src, rest = match.group("src"), match.group("rest")
        if " width=" in rest or "://" in src or src.startswith(("data:", "#")):
            return match.group(0)
        raw = unquote(htmllib.unescape(src).split("?", 1)[0].split("#", 1)[0])
        path = posixpath.normpath(
            raw.lstrip("/") if raw.startswith("/") else posixpath.join(folder, raw)
        )
        sha = files.get(path)
        if sha is None:
            return match.group(0)
        size, preview = _image_facts(path, sha)
        if size is None:
            return match.group(0)
        if preview:  # a large image: its downscaled copy (the Files panel has the file)
            src += ("&amp;" if "?" in src else "?") + "preview=1"
        return f'<img src="{src}" width="{size[0]}" height="{size[1]}"{rest}>'

    return Markup(_IMG.sub(sized, str(html)))
