"""Matching and ranking: which pages a search query matches, and the best of them.

A query is a small tree (Term, Phrase, And, Or, AndNot, AndMaybe, Every). Which
documents it matches is computed on bitsets (one Python integer per posting
list, bit n for document n), so totals and facet counts cost a few big-integer
operations. Only the matching documents are then scored, with BM25 from the
impacts the posting packs hold, and the best are picked with a heap.

Documents are numbered across the segments of one index snapshot: a segment
with offset o holds documents o .. o + doc_count - 1.

No Flask, no Whoosh: segments come from segments.py (see `Segment`).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from .postings import IMPACT_SCALE
from .postings import K1
from .postings import Postings
from .postings import bits_from_ids
from .postings import idf

# -- queries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    field: str
    text: str
    boost: float = 1.0  # 0: decides what matches, adds nothing to the score


@dataclass(frozen=True)
class Phrase:
    field: str
    words: tuple[str, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class And:
    parts: tuple


@dataclass(frozen=True)
class Or:
    parts: tuple


@dataclass(frozen=True)
class AndNot:
    positive: object
    negative: object


@dataclass(frozen=True)
class AndMaybe:
    """Matches what `required` matches; `optional` only adds to the score."""

    required: object
    optional: object


@dataclass(frozen=True)
class Every:
    pass


NOTHING = Or(())
PHRASE_IMPACT = 0.6 * (K1 + 1)  # what a phrase found in a field adds, per word's idf


def scoring(q, kind: type) -> Iterator:
    """The nodes of this kind (Term or Phrase) that score: those outside every negated part."""
    if isinstance(q, kind):
        yield q
    elif isinstance(q, And | Or):
        for part in q.parts:
            yield from scoring(part, kind)
    elif isinstance(q, AndNot):
        yield from scoring(q.positive, kind)
    elif isinstance(q, AndMaybe):
        yield from scoring(q.required, kind)
        yield from scoring(q.optional, kind)


# -- segments -------------------------------------------------------------------------


class Segment(Protocol):
    """What matching needs of one index segment (a posting pack, or Whoosh itself)."""

    doc_count: int

    def has_field(self, fieldname: str) -> bool: ...
    def doc_frequency(self, fieldname: str, term: bytes) -> int: ...
    def bits(self, fieldname: str, term: bytes) -> int: ...
    def postings(self, fieldname: str, term: bytes) -> Postings | None: ...
    def positions(self, fieldname: str, term: bytes): ...
    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[bytes, int]]: ...
    def facets(self) -> dict[tuple[str, str], int]: ...
    def newest(self) -> list[tuple[float, int]]: ...


class BitsCache:
    """Term bitsets by (segment, field, term), shared by the snapshots of one process.

    Segments never change (deletions are a separate mask), so an entry stays true
    for as long as its segment exists.
    """

    def __init__(self, size: int = 2000) -> None:  # a bitset of 40,000 pages is 5 KB
        self.size = size
        self._entries: OrderedDict[tuple, int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, compute) -> int:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        value = compute()
        with self._lock:
            self._entries[key] = value
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


@dataclass
class Part:
    segment: Segment
    key: str | None  # the segment's id: what caches go by (None: do not cache)
    offset: int


class Snapshot:
    """One unchanging view of the index: its segments, in document-number order."""

    def __init__(self, parts: list[Part], live: int, cache: BitsCache) -> None:
        self.parts = parts
        self.live = live
        self.doc_count = sum(p.segment.doc_count for p in parts)
        self._cache = cache
        self._df: dict[tuple[str, str], int] = {}
        self._facets: dict[tuple[str, str], int] | None = None
        # phrase -> (checked in, found), for the last few phrases (a snapshot lives long)
        self._phrases: OrderedDict[Phrase, tuple[int, int]] = OrderedDict()
        self.common: frozenset[str] = frozenset()  # the words whose pairs are indexed

    # -- terms ------------------------------------------------------------------------

    def has_field(self, fieldname: str) -> bool:
        return any(p.segment.has_field(fieldname) for p in self.parts)

    def doc_frequency(self, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        found = self._df.get(key)
        if found is None:
            term = text.encode("utf-8")
            found = self._df[key] = sum(
                p.segment.doc_frequency(fieldname, term) for p in self.parts
            )
        return found

    def expand(self, fieldname: str, prefix: str, limit: int) -> list[str]:
        """At most `limit` terms starting with `prefix`, the most frequent first."""
        counts: dict[bytes, int] = {}
        start = prefix.encode("utf-8")
        for p in self.parts:
            for n, (term, df) in enumerate(p.segment.terms_from(fieldname, start)):
                counts[term] = counts.get(term, 0) + df
                if n >= limit * 64:  # a short prefix in a large field: enough to choose from
                    break
        best = heapq.nlargest(limit, counts.items(), key=lambda item: (item[1], item[0]))
        return [term.decode("utf-8") for term, _df in best]

    def term_bits(self, fieldname: str, text: str) -> int:
        bits = 0
        for p in self.parts:
            local = self._local_bits(p, fieldname, text)
            if local:
                bits |= local << p.offset
        return bits

    def _local_bits(self, part: Part, fieldname: str, text: str) -> int:
        term = text.encode("utf-8")
        if part.key is None:
            return part.segment.bits(fieldname, term)
        return self._cache.get(
            (part.key, fieldname, term), lambda: part.segment.bits(fieldname, term)
        )

    # -- matching ---------------------------------------------------------------------

    def match(self, q, within: int | None = None) -> int:
        """The documents `q` matches (deleted ones included: AND with `live`).
        `within`: only these can be in the answer (it keeps phrase checks short)."""
        if isinstance(q, Term):
            return self.term_bits(q.field, q.text)
        if isinstance(q, Phrase):
            return self.phrase_bits(q, self.live if within is None else within)
        if isinstance(q, And):
            bits = self.live if within is None else within
            # phrases last: they check positions, only in what the rest left
            for part in sorted(q.parts, key=lambda part: isinstance(part, Phrase)):
                bits &= self.match(part, bits)
                if not bits:
                    break
            return bits
        if isinstance(q, Or):
            bits = 0
            for part in q.parts:
                bits |= self.match(part, within)
            return bits
        if isinstance(q, AndNot):
            positive = self.match(q.positive, within)
            return positive & ~self.match(q.negative, positive) if positive else 0
        if isinstance(q, AndMaybe):
            return self.match(q.required, within)
        if isinstance(q, Every):
            return self.live if within is None else within
        raise TypeError(f"not a query: {q!r}")

    def phrase_bits(self, q: Phrase, within: int) -> int:
        """The documents of `within` that have the words in this order in the field.

        Remembered: matching, ranking and snippets ask for the same phrase in ever
        smaller sets of documents, and positions are checked once."""
        checked = self._phrases.get(q)
        if checked is not None and not within & ~checked[0]:
            return checked[1] & within
        found = self._phrase_bits(q, within)
        self._phrases[q] = (within, found)
        if len(self._phrases) > 32:
            self._phrases.popitem(last=False)
        return found

    def _phrase_bits(self, q: Phrase, within: int) -> int:
        candidates = within
        for word in set(q.words):
            candidates &= self.term_bits(q.field, word)
            if not candidates:
                return 0
        if len(q.words) == 1:
            return candidates
        found = 0
        for p in self.parts:
            local = (candidates >> p.offset) & ((1 << p.segment.doc_count) - 1)
            if local:
                verified = _verified(p.segment, q, ids_of(local))
                found |= bits_from_ids(verified, p.segment.doc_count) << p.offset
        return found

    # -- ranking ----------------------------------------------------------------------

    def rank(self, q, match: int, limit: int) -> list[tuple[float, int]]:
        """The best `limit` documents of `match` by BM25: [(score, docnum)], best first."""
        weights: dict[tuple[str, str], float] = {}
        for term in scoring(q, Term):
            if term.boost > 0:
                key = (term.field, term.text)
                w = term.boost * idf(self.doc_frequency(*key), self.doc_count) / IMPACT_SCALE
                weights[key] = weights.get(key, 0.0) + w
        # a phrase found adds its words' idf, scaled, to the score
        bonuses = [
            (
                phrase.boost
                * PHRASE_IMPACT
                * sum(
                    idf(self.doc_frequency(phrase.field, w), self.doc_count) for w in phrase.words
                ),
                self.phrase_bits(phrase, match),
            )
            for phrase in dict.fromkeys(scoring(q, Phrase))
        ]
        best: list[tuple[float, int]] = []
        for p in self.parts:
            mask = (1 << p.segment.doc_count) - 1
            local = (match >> p.offset) & mask
            if local:
                found = [(bonus, (bits >> p.offset) & mask) for bonus, bits in bonuses]
                best.extend(
                    (score, docnum + p.offset)
                    for score, docnum in self._rank_segment(p, weights, found, local, limit)
                )
        return heapq.nlargest(limit, best, key=_best)

    def _rank_segment(
        self, part: Part, weights: dict, bonuses: list[tuple[float, int]], local: int, limit: int
    ) -> list[tuple[float, int]]:
        segment = part.segment
        lists = []
        for (fieldname, text), w in weights.items():
            postings = segment.postings(fieldname, text.encode("utf-8"))
            if postings is not None and len(postings.ids):
                lists.append((postings, w))
        matched = local.bit_count()
        total = sum(len(postings.ids) for postings, _w in lists)
        scores: dict[int, float]
        if matched * len(lists) * 16 < total:
            # few matches, long lists: look each match up in every list
            candidates = ids_of(local)
            scores = dict.fromkeys(candidates, 0.0)
            for postings, w in lists:
                ids, impacts = postings.ids, postings.impacts
                n = len(ids)
                for docnum in candidates:
                    i = bisect.bisect_left(ids, docnum)
                    if i < n and ids[i] == docnum:
                        scores[docnum] += w * impacts[i]
        else:
            # walk the lists once; documents outside the matches are dropped below
            scores = {}
            get = scores.get
            for postings, w in lists:
                for docnum, value in zip(postings.ids, postings.impacts, strict=True):
                    scores[docnum] = get(docnum, 0.0) + w * value
            candidates = None
        for bonus, found in bonuses:
            for docnum in ids_of(found) if found else ():
                scores[docnum] = scores.get(docnum, 0.0) + bonus
        if candidates is not None:
            best = heapq.nlargest(limit, scores, key=scores.__getitem__)
            return [(scores[d], d) for d in best]
        # the best scores first, if they are matches; else every match by its score
        in_match = local.to_bytes((segment.doc_count >> 3) + 1, "little")
        found = []
        for docnum in heapq.nlargest(limit * 4, scores, key=scores.__getitem__):
            if in_match[docnum >> 3] >> (docnum & 7) & 1:
                found.append((scores[docnum], docnum))
                if len(found) == limit:
                    return found
        if len(found) == matched:
            return found
        return heapq.nlargest(limit, ((scores.get(d, 0.0), d) for d in ids_of(local)), key=_best)

    # -- facets and dates -------------------------------------------------------------

    def facets(self) -> dict[tuple[str, str], int]:
        """(facet, value) -> the documents that have it."""
        if self._facets is None:
            result: dict[tuple[str, str], int] = {}
            for p in self.parts:
                for value, bits in p.segment.facets().items():
                    result[value] = result.get(value, 0) | (bits << p.offset)
            self._facets = result
        return self._facets

    def newest_first(self) -> Iterator[int]:
        """Every document number, the most recently modified first."""
        orders = [_shifted(p.segment.newest(), p.offset) for p in self.parts]
        for _stamp, docnum in heapq.merge(*orders, reverse=True):
            yield docnum


def _best(hit: tuple[float, int]) -> tuple[float, int]:
    """Higher scores first; between equal scores, the lower document number."""
    return hit[0], -hit[1]


def _shifted(order: list[tuple[float, int]], offset: int) -> Iterator[tuple[float, int]]:
    for stamp, docnum in order:
        yield stamp, docnum + offset


def _verified(segment: Segment, q: Phrase, candidates: list[int]) -> Iterator[int]:
    """The candidates whose field has the words of `q` at consecutive positions."""
    lists = []
    for word in q.words:
        found = segment.positions(q.field, word.encode("utf-8"))
        if found is None:
            return
        ids, tfs, positions = found
        starts = list(itertools.accumulate(tfs, initial=0))
        lists.append((ids, tfs, positions, starts))
    for docnum in candidates:
        starting: set[int] | None = None
        for j, (ids, tfs, positions, starts) in enumerate(lists):
            i = bisect.bisect_left(ids, docnum)
            if i >= len(ids) or ids[i] != docnum:
                starting = None
                break
            here = {pos - j for pos in positions[starts[i] : starts[i] + tfs[i]]}
            starting = here if starting is None else starting & here
            if not starting:
                break
        if starting:
            yield docnum


def ids_of(bits: int) -> list[int]:
    """The positions of the set bits, ascending."""
    text = bin(bits)[:1:-1]
    return [m.start() for m in re.finditer("1", text)]
