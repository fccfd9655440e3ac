"""Searching the index: results with facets, snippets and a spelling suggestion, and
suggestions while typing.

`Searching` is a part of `SearchIndex` (wiki/search/__init__.py), which gives it
`_ix`, `_open`, `_searcher`, `_snapshot`, `default_language` and `_bits`. No Flask
imports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from markupsafe import Markup

from .matching import And
from .matching import AndNot
from .matching import Every
from .matching import Or
from .matching import Snapshot
from .matching import Term
from .postings import bits_from_ids
from .query import MAX_PREFIX_TERMS
from .query import Clause
from .query import build_query
from .query import filter_query
from .query import parse_query
from .query import phrase_query
from .snippets import snippet
from .terms import FACETS
from .terms import FILTER_FIELDS
from .terms import fold
from .terms import words

log = logging.getLogger(__name__)

PAGE_SIZE = 10


@dataclass
class Hit:
    name: str
    title: str
    snippet: Markup  # escaped text with <mark> around matches
    score: float
    meta: dict
    modified: datetime | None


@dataclass
class Results:
    query: str
    total: int
    page: int
    hits: list[Hit] = field(default_factory=list)
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    rebuilding: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


class Searching:
    def search(
        self,
        text: str,
        *,
        filters: dict[str, str] | None = None,
        sort: str = "relevance",
        page: int = 1,
        restrict=None,
    ) -> Results:
        """Ranked results with snippets, facet counts and a spelling suggestion.

        `restrict` (a query of what the user may see) limits hits, facets and suggestions.
        """
        filters = {k: v for k, v in (filters or {}).items() if k in FILTER_FIELDS and v}
        results = Results(query=text, total=0, page=page)
        ix = self._open()
        if ix is None:
            results.rebuilding = True
            return results
        clauses = parse_query(text)
        with self._searcher(ix) as searcher:
            snapshot = self._snapshot(searcher)
            q = build_query(clauses, snapshot, filters.get("lang"))
            where = [filter_query(k, v) for k, v in filters.items()]
            if restrict is not None:
                where.append(restrict)
            if q is None and not where:
                return results
            limit = PAGE_SIZE * page
            # which documents match, their number and the facet counts come from
            # bitsets; only the matches are scored
            match = _matches(snapshot, q or Every(), where)
            results.total = match.bit_count()
            if not match:
                found = []
            elif sort == "date":
                found = _newest(snapshot, match, limit)
            else:
                found = snapshot.rank(q or Every(), match, limit)
            highlight = [w for c in clauses if not c.negated for w in c.words()]
            quoted = [
                [fold(w) for w in c.words()]
                for c in clauses
                if c.kind == "phrase" and not c.negated
            ]
            shown = found[PAGE_SIZE * (page - 1) : limit]
            together = self._together(snapshot, clauses, [d for _s, d in shown])
            for score, docnum in shown:
                stored = searcher.stored_fields(docnum)
                results.hits.append(
                    Hit(
                        name=stored["name"],
                        title=stored.get("title") or stored["name"],
                        snippet=snippet(
                            stored.get("content", ""),
                            highlight,
                            phrases=quoted + together.get(docnum, []),
                        ),
                        score=round(score, 4),
                        meta=stored.get("meta") or {},
                        modified=stored.get("modified"),
                    )
                )
            results.facets = _facet_counts(snapshot, match)
            if results.total == 0 and highlight:
                suggestion = self._suggest_spelling(searcher, snapshot, text, clauses, where)
                # offered only if it finds something the user may see: the spelling
                # dictionary holds the words of every page, private ones too
                if suggestion:
                    better = build_query(parse_query(suggestion), snapshot, filters.get("lang"))
                    if better is not None and _matches(snapshot, better, where):
                        results.suggestion = suggestion
        return results

    @staticmethod
    def _together(
        snapshot: Snapshot, clauses: list[Clause], docnums: list[int]
    ) -> dict[int, list[list[str]]]:
        """For the hits that have the query's words as a phrase: that phrase (their
        snippet shows it). Checked on the packs' positions, for these hits only."""
        plain = [fold(w) for c in clauses if c.kind == "word" and not c.negated for w in c.words()]
        if len(plain) < 2 or not docnums:
            return {}
        hits = bits_from_ids(docnums, max(docnums) + 1)
        found = snapshot.match(phrase_query(plain, snapshot.common), hits)
        return {d: [plain] for d in docnums if found >> d & 1}

    def _suggest_spelling(
        self, searcher, snapshot: Snapshot, text: str, clauses: list[Clause], where
    ) -> str | None:
        correctors = [searcher.corrector(f) for f in ("body", "title")]
        changed = False
        out = text
        for clause in clauses:
            if clause.kind != "word" or clause.negated:
                continue
            for word in words(clause.value):
                folded = fold(word)
                if len(folded) < 4 or any(
                    snapshot.doc_frequency(f, folded) for f in ("body", "title")
                ):
                    continue
                for corrector in correctors:
                    found = corrector.suggest(folded, limit=1, maxdist=2, prefix=1)
                    if found:
                        written = self._as_written(searcher, snapshot, found[0], where)
                        out = out.replace(word, written, 1)
                        changed = True
                        break
        return out if changed else None

    @staticmethod
    def _as_written(searcher, snapshot: Snapshot, folded: str, where) -> str:
        """A suggested word as the pages the reader may see write it, accents kept
        ("finanszirozas" -> "finanszírozás"): the index keeps words folded, a page keeps
        them as they are."""
        match = _matches(snapshot, Or((Term("title", folded), Term("body", folded))), where)
        for _ in range(3):
            if not match:
                break
            lowest = match & -match
            match ^= lowest
            stored = searcher.stored_fields(lowest.bit_length() - 1)
            meta = stored.get("meta") or {}
            front = [
                v if isinstance(v, str) else " ".join(map(str, v))
                for v in meta.values()
                if isinstance(v, str | list)
            ]
            for text in (stored.get("title", ""), stored.get("content", ""), *front):
                for word in words(text):
                    if fold(word) == folded:
                        return word.lower()
        return folded

    def suggest(self, text: str, *, limit: int = 10, restrict=None) -> list[tuple[str, str]]:
        """Pages whose title or name starts with the typed words: [(name, title)]."""
        ix = self._open()
        typed = [fold(w) for w in words(text)][:6]
        if ix is None or not typed:
            return []
        with self._searcher(ix) as searcher:
            snapshot = self._snapshot(searcher)
            # every word but the last is complete; the last is still being typed
            parts = [Term("suggest", w) for w in typed[:-1]]
            expanded = snapshot.expand("suggest", typed[-1], MAX_PREFIX_TERMS)
            if not expanded:
                return []
            parts.append(Or(tuple(Term("suggest", t) for t in expanded)))
            q = And(tuple(parts)) if len(parts) > 1 else parts[0]
            match = _matches(snapshot, q, [restrict] if restrict is not None else [])
            found = snapshot.rank(q, match, limit) if match else []
            hits = [searcher.stored_fields(docnum) for _score, docnum in found]
            return [(h["name"], h.get("title") or h["name"]) for h in hits]

    @staticmethod
    def hide_spaces(spaces: Iterable[str]):
        """A restriction that hides the pages of these spaces (for `restrict`): pages in
        the top-level folder of that name and a top-level page of that name."""
        hidden = tuple(Term("space", f.casefold(), 0.0) for f in spaces)
        return AndNot(Every(), Or(hidden)) if hidden else None

    @staticmethod
    def only_spaces(spaces: Iterable[str]):
        """A restriction that shows only the pages of these spaces (for `restrict`)."""
        allowed = tuple(Term("space", f.casefold(), 0.0) for f in spaces)
        return Or(allowed)  # none: nothing is shown


def _matches(snapshot: Snapshot, q, where: list) -> int:
    """The live documents that `q` and every part of `where` match."""
    match = snapshot.match(q) & snapshot.live
    for part in where:
        if not match:
            break
        match &= snapshot.match(part, match)
    return match


def _facet_counts(snapshot: Snapshot, match: int) -> dict[str, dict[str, int]]:
    counts = []
    if match:
        for value, bits in snapshot.facets().items():
            n = (match & bits).bit_count()
            if n:
                counts.append((value, n))
    counts.sort(key=lambda item: (-item[1], item[0]))
    facets: dict[str, dict[str, int]] = {f: {} for f in FACETS}
    for (facet, value), n in counts:
        if facet in facets and len(facets[facet]) < 30:
            facets[facet][value] = n
    return facets


def _newest(snapshot: Snapshot, match: int, limit: int) -> list[tuple[float, int]]:
    """The `limit` most recently modified matching documents, as (0, docnum)."""
    found = []
    member = match.to_bytes((match.bit_length() >> 3) + 1, "little")
    size = len(member) << 3
    for docnum in snapshot.newest_first():
        if docnum < size and member[docnum >> 3] >> (docnum & 7) & 1:
            found.append((0.0, docnum))
            if len(found) >= limit:
                break
    return found
