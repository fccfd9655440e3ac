"""Blueprint "site": recent changes (HTML and Atom), the page tree, search, health."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC
from datetime import datetime

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import lazy_gettext as _l

from ..access.auth import READ
from ..access.auth import can
from ..access.auth import read_filter
from ..access.auth import require
from ..access.auth import search_restriction
from ..errors import N_
from ..errors import PageNotFound
from ..events.ics import clean
from ..i18n import ui_language
from ..pages import names
from ..pages.translations import key_of
from . import get_wiki
from . import page_number
from . import visible_tree

bp = Blueprint("site", __name__)
ATOM = "http://www.w3.org/2005/Atom"


@bp.get("/-/recent")
def recent():
    require(READ)
    size = current_app.config["HISTORY_PAGE_SIZE"]
    page = page_number()
    revisions = get_wiki().recent(limit=size + 1, offset=(page - 1) * size, readable=read_filter())
    return render_template(
        "site/recent.html", revisions=revisions[:size], page=page, has_next=len(revisions) > size
    )


@bp.get("/-/recent.atom")
def recent_feed():
    require(READ)
    wiki = get_wiki()
    revisions = wiki.recent(limit=current_app.config["FEED_SIZE"], readable=_feed_filter())
    root_url = request.url_root.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = (
        current_app.config["SITE_NAME"] + ": recent changes"
    )
    ET.SubElement(feed, f"{{{ATOM}}}id").text = root_url + url_for("site.recent_feed")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=request.url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=root_url + url_for("site.recent"))
    updated = revisions[0].date if revisions else datetime.now(UTC)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated.isoformat()
    for rev in revisions:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        name = names.to_name(rev.path) if rev.path and names.is_page_path(rev.path) else None
        label = name or "(files)"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = clean(f"{label}: {rev.summary}")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:git:{rev.id}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = rev.date.isoformat()
        author = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = clean(rev.author.name) + (
            f" (@{rev.account})" if rev.account else ""
        )
        if name:
            link = url_for("pages.diff", name=name, to=rev.id)
            ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=root_url + link)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = clean(rev.message)
    body = ET.tostring(feed, encoding="unicode", xml_declaration=True)
    response = Response(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "private, no-cache"  # a token's feed is personal
    return response


def _feed_filter():
    """The read gate, narrowed by `?folder=` (the pages under it) and `?type=` (records of
    that type, by their front matter at HEAD)."""
    allowed = read_filter()
    folder = request.args.get("folder", "").strip().strip("/")
    kind = request.args.get("type", "").strip()
    if not folder and not kind:
        return allowed
    wiki = get_wiki()
    typed: set[str] | None = None
    if kind:
        head = wiki.head()
        ready = head is not None and wiki.links is not None and wiki.page_table_ready(head)
        typed = {name for name, _meta, _h in wiki.links.records(kind)} if ready else set()

    def visible(name: str) -> bool:
        if allowed is not None and not allowed(name):
            return False
        if folder and not name.startswith(folder + "/"):
            return False
        return typed is None or name in typed

    return visible


# A folder of more pages than this is drawn closed in the page index and loaded when opened.
INDEX_INLINE_LIMIT = 200


def _index_folder() -> tuple[str, object]:
    wiki = get_wiki()
    folder = request.args.get("folder", "").strip("/")
    node = wiki.subtree(folder) if folder and can(READ, folder) else None
    if node is None:
        folder, node = "", visible_tree(wiki.tree())
    return folder, node


@bp.get("/-/pages")
def pages():
    require(READ)
    wiki = get_wiki()
    folder, node = _index_folder()
    total = len(wiki.page_names()) if node is wiki.tree() else visible_tree(wiki.tree()).count()
    return render_template(
        "site/pages.html", tree=node, folder=folder, total=total, inline_limit=INDEX_INLINE_LIMIT
    )


@bp.get("/-/pages/part")
def pages_part():
    """One folder of the page index, as the list the index shows (loaded when opened)."""
    require(READ)
    folder, node = _index_folder()
    if not folder:
        raise PageNotFound(N_("There is no such folder."))
    return render_template("site/_tree.html", node=node, depth=1, inline_limit=INDEX_INLINE_LIMIT)


def search_params() -> tuple[str, dict[str, str], str, int]:
    """The search query, facet filters, sort order and page from the request."""
    args = request.args
    filters = {key: args.get(key, "").strip()[:200] for key in SEARCH_FILTERS}
    filters = {k: v for k, v in filters.items() if v}
    sort = "date" if args.get("sort") == "date" else "relevance"
    return args.get("q", "").strip()[:500], filters, sort, page_number()


SEARCH_FILTERS = ("wg", "type", "country", "lang", "tag", "folder")


def run_search():
    require(READ)
    query, filters, sort, page = search_params()
    index_filters = {("tags" if k == "tag" else k): v for k, v in filters.items()}
    results = get_wiki().search(
        query, filters=index_filters, sort=sort, page=page, restrict=search_restriction()
    )
    return query, filters, sort, results


@bp.get("/-/search")
def search():
    query, filters, sort, results = run_search()

    def search_url(**changes) -> str:
        """This search with some parameters changed (None removes one); back to page 1."""
        params = {"q": query, **filters, "sort": sort if sort != "relevance" else None}
        params.update(changes)
        return url_for("site.search", **{k: v for k, v in params.items() if v})

    return render_template(
        "site/search.html",
        grouped=_grouped(results.hits, ui_language() if sort == "relevance" else ""),
        tag_offer=_tag_offer(query),
        query=query,
        filters=filters,
        sort=sort,
        results=results,
        facet_names=FACET_LABELS,
        search_url=search_url,
    )


LANGUAGE_PREFERENCE = 1.1  # the reader's language wins at about equal relevance (within 10 %)


def _grouped(hits: list, language: str) -> list[tuple[object, list]]:
    """The hits of a page of results, each with its translations among them (shown under
    it, not as unrelated hits); with `language`, pages in it rank a little higher."""
    if language:
        hits = sorted(
            hits,
            key=lambda h: (
                -h.score
                * (LANGUAGE_PREFERENCE if str(h.meta.get("lang", "")).lower() == language else 1)
            ),
        )
    groups: dict[str, list] = {}
    arranged = []
    for hit in hits:
        key = key_of(hit.name, hit.meta)
        if key in groups:
            groups[key].append(hit)
            continue
        groups[key] = []
        arranged.append((hit, groups[key]))
    return arranged


def _tag_offer(query: str) -> tuple[str, int] | None:
    """When the query is a tag: (the tag, how many pages the reader may read have it), so
    that "pages tagged ..." is offered above the results."""
    text = query.strip().strip('"')
    if not text or len(text) > 60 or ":" in text:
        return None
    wiki = get_wiki()
    head = wiki.head()
    if wiki.links is None or head is None or not wiki.page_table_ready(head, wait=2):
        return None
    allowed = read_filter()
    pages = [p for p in wiki.links.tagged_with(text) if allowed is None or allowed(p)]
    return (text, len(pages)) if pages else None


FACET_LABELS = {
    "wg": _l("Working group"),
    "type": _l("Page type"),
    "country": _l("Country"),
    "lang": _l("Language"),
    "tags": _l("Tags"),
    "folder": _l("Folder"),
}


@bp.get("/-/health")
def health():
    return jsonify({"status": "ok", "head": get_wiki().head()})
