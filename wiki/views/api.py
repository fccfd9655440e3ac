"""Blueprint "api": the JSON API under /-/api/v1/, with the same permissions as the web.

Authentication: the session cookie plus an `X-CSRF-Token` header, or HTTP Basic
with the account's credentials. Errors are JSON: {"error": "..."}.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request

from ..access.auth import READ
from ..access.auth import WRITE
from ..access.auth import current_author
from ..access.auth import read_filter
from ..access.auth import readable
from ..access.auth import require
from ..access.auth import search_restriction
from ..app import services
from ..errors import N_
from ..errors import EditConflict
from ..errors import InvalidContent
from ..errors import PageNotFound
from ..errors import PermissionDenied
from ..model import Revision
from ..pages import names
from ..search import PAGE_SIZE
from . import get_wiki

bp = Blueprint("api", __name__, url_prefix="/-/api/v1")
MAX_LIMIT = 500


def _revision_json(rev: Revision) -> dict:
    return {
        "revision": rev.id,
        "author": rev.author.name,
        "account": rev.account or None,
        "via": rev.via or None,
        "date": rev.date.isoformat(),
        "message": rev.message,
        "path": rev.path,
    }


def _int_arg(key: str, default: int, upper: int) -> int:
    raw = request.args.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidContent(N_("'%(key)s' must be a whole number."), key=key) from None
    if value < 0:
        raise InvalidContent(N_("'%(key)s' must not be negative."), key=key)
    return min(value, upper)


@bp.get("/search")
def search():
    from .site import run_search

    query, filters, sort, results = run_search()
    first = (results.page - 1) * PAGE_SIZE + 1
    return jsonify(
        {
            "query": query,
            "total": results.total,
            "page": results.page,
            "pages": results.pages,
            "sort": sort,
            "filters": filters,
            "rebuilding": results.rebuilding,
            # the position, not the score: scores come from word statistics that include
            # pages the caller cannot read, and comparing them would tell what is there
            "results": [
                {
                    "name": h.name,
                    "title": h.title,
                    "snippet": str(h.snippet),
                    "rank": first + i,
                    "meta": h.meta,
                    "modified": h.modified.isoformat() if h.modified else None,
                }
                for i, h in enumerate(results.hits)
            ],
            "facets": results.facets,
            "suggestion": results.suggestion,
        }
    )


@bp.get("/suggest")
def suggest():
    require(READ)
    text = request.args.get("q", "")[:200]
    found = get_wiki().suggest(text, limit=10, restrict=search_restriction())
    return jsonify([{"name": name, "title": title} for name, title in found])


@bp.get("/pages")
def list_pages():
    require(READ)
    return jsonify(sorted(readable(get_wiki().page_names()), key=str.casefold))


@bp.get("/pages/<path:name>")
def get_page(name: str):
    name = names.normalize(name)
    require(READ, name)
    page = get_wiki().page(name, request.args.get("rev") or None, visible=read_filter())
    # content, revision and head come from one snapshot: either revision is a valid
    # base_revision for a PUT of an edited content
    return jsonify(
        {
            "name": page.name,
            "title": page.title,
            "content": page.text,
            "revision": page.last_change.id if page.last_change else page.revision,
            "head": page.revision,
            "meta": page.meta,
        }
    )


@bp.put("/pages/<path:name>")
def put_page(name: str):
    name = names.normalize(name)
    require(WRITE, name)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("content"), str):
        raise InvalidContent('Send JSON with a "content" string (and "message", "base_revision").')
    message = data.get("message") or ""
    base = data.get("base_revision") or None
    if not isinstance(message, str) or (base is not None and not isinstance(base, str)):
        raise InvalidContent('"message" and "base_revision" must be strings.')
    wiki = get_wiki()
    existed = wiki.exists(name)
    try:
        result = wiki.save_page(
            name, data["content"], author=current_author(), message=message, base_revision=base
        )
    except EditConflict as conflict:
        return jsonify(
            {
                "error": "conflict",
                "message": conflict.message,
                "current_revision": conflict.current_revision,
                "current_content": conflict.current_text,
            }
        ), 409
    rev = result.revision
    return jsonify(
        {
            "name": result.name,
            "revision": rev.id if rev else wiki.head(),
            "changed": rev is not None,
            "merged": bool(result.merged_with),
            "merged_with": list(result.merged_with),
        }
    ), (201 if rev and not existed else 200)


@bp.delete("/pages/<path:name>")
def delete_page(name: str):
    name = names.normalize(name)
    require(WRITE, name)
    wiki = get_wiki()
    if not wiki.exists(name):
        raise PageNotFound(N_("There is no page called '%(name)s'."), name=name)
    base = request.args.get("base_revision") or None
    try:
        rev = wiki.delete_page(
            name,
            author=current_author(),
            message=request.args.get("message", ""),
            base_revision=base,
        )
    except EditConflict as conflict:
        return jsonify(
            {
                "error": "conflict",
                "message": conflict.message,
                "current_revision": conflict.current_revision,
                "current_content": conflict.current_text,
            }
        ), 409
    return jsonify({"revision": rev.id, "deleted": name})


@bp.get("/pages/<path:name>/history")
def page_history(name: str):
    name = names.normalize(name)
    require(READ, name)
    limit = _int_arg("limit", 50, MAX_LIMIT)
    offset = _int_arg("offset", 0, 10**9)
    revisions = get_wiki().history(name, limit=limit, offset=offset)
    if not revisions and offset == 0:
        raise PageNotFound(N_("There is no history for '%(name)s'."), name=name)
    return jsonify([_revision_json(r) for r in revisions])


@bp.post("/sync")
def sync():
    """Webhook: pull from UPSTREAM_URL now. Authenticated by SYNC_SECRET, sent as the
    `X-Sync-Secret` header or as a GitHub/Gitea/GitLab-style signature or token."""
    config = current_app.config
    mirror = services().mirror
    secret = config.get("SYNC_SECRET")
    if mirror is None or not secret:
        raise PageNotFound(N_("There is no upstream to sync with (UPSTREAM_URL, SYNC_SECRET)."))
    if not _sync_authorized(str(secret)):
        raise PermissionDenied(N_("Wrong or missing sync secret."))
    delivery = _delivery_key()
    if delivery is not None and not _deliveries().first_time(delivery):
        return jsonify({"error": "This call was made before (a replay): nothing was done."}), 409
    if mirror.synced_within(config["SYNC_COOLDOWN"]):
        mirror.sync_soon()  # a burst of calls makes one more sync, not one each
        return jsonify({"status": "scheduled"}), 202
    result = mirror.sync()
    get_wiki().after_external_change()
    state = mirror.state()
    return jsonify(
        {
            "head": get_wiki().head(),
            "result": result.how if result else "pushed",
            "conflicts": [
                {"path": p, "kept_as": k} for p, k in (result.conflicts if result else [])
            ],
            "error": state.get("last_error"),
        }
    )


def _delivery_key() -> str | None:
    """What makes this webhook call unique: the sender's delivery id, else the signature
    of its body (None for a plain shared secret: every such call looks alike)."""
    for header in ("X-GitHub-Delivery", "X-Gitea-Delivery", "X-Gitlab-Event-UUID"):
        if request.headers.get(header):
            return f"id:{request.headers[header][:200]}"
    signature = request.headers.get("X-Hub-Signature-256") or ""
    return f"sig:{signature[:200]}" if signature else None


def _deliveries():
    return services().deliveries()


def _sync_authorized(secret: str) -> bool:
    sent = request.headers.get("X-Sync-Secret") or request.headers.get("X-Gitlab-Token") or ""
    if sent and hmac.compare_digest(sent.encode(), secret.encode()):
        return True
    signature = request.headers.get("X-Hub-Signature-256") or ""
    if signature.startswith("sha256="):
        digest = hmac.new(secret.encode(), request.get_data(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[7:], digest)
    return False
