"""The search engine: a Whoosh index of the pages, in many languages, faceted.

The only module that imports whoosh. No Flask imports.

Every page is indexed in a diacritic- and case-folded field (exact words,
phrases, prefixes, title suggestions) and in the stemmed field of its own
language (Snowball stemmers from PyStemmer), so "klaszterek" finds "klaszter",
"Clustern" finds "Cluster" and "ΠΟΛΙΤΙΚΕΣ" finds "πολιτική". The index
records the commit it reflects and catches up with any later commit by
reading only the paths that changed, so it stays in step with git however
the commits arrived.
"""

from __future__ import annotations

import fcntl
import functools
import heapq
import itertools
import json
import logging
import os
import re
import shutil
import threading
import time
import unicodedata
from collections import Counter
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path

from markupsafe import Markup
from markupsafe import escape
from whoosh import columns
from whoosh import fields
from whoosh import index as whoosh_index
from whoosh import query as Q
from whoosh.analysis import Filter
from whoosh.analysis import LowercaseFilter
from whoosh.analysis import PyStemmerFilter
from whoosh.analysis import RegexTokenizer
from whoosh.index import LockError
from whoosh.writing import CLEAR

from .searchquery import Clause
from .searchquery import parse_query

log = logging.getLogger(__name__)

SCHEMA_VERSION = 5
# ISO 639-1 code -> Snowball algorithm. Croatian and Bosnian use the Serbian
# stemmer and Slovak the Czech one (closely related, no Snowball stemmer of
# their own); Moldovan is Romanian. Languages without one are folded only.
STEMMERS = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian", "fa": "persian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "mo": "romanian", "ru": "russian",
    "sr": "serbian", "hr": "serbian", "bs": "serbian", "sk": "czech", "es": "spanish",
    "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}
ALGORITHMS = sorted(set(STEMMERS.values()))
FACETS = ("wg", "type", "country", "lang", "tags", "folder")
FILTER_FIELDS = ("wg", "type", "country", "lang", "tags", "folder", "author", "year", "region")
MAX_PREFIX_TERMS = 64  # a prefix expands into at most this many terms
STEM_PREFIX_MIN = 6  # stems this long also match longer words (compounds: klaszter...)
# languages that write compounds as one word: a stem also matches the words it begins
COMPOUNDING = {"hungarian", "german", "dutch", "swedish", "danish", "norwegian", "finnish",
               "estonian", "greek"}
PAGE_SIZE = 10


@functools.lru_cache(maxsize=262_144)  # a wiki's vocabulary: most words repeat
def fold(text: str) -> str:
    """Case- and diacritic-insensitive form ("Gazdaság" -> "gazdasag", "ΠΟΛΙΤΙΚΉ" -> "πολιτικη")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class FoldFilter(Filter):
    """Whoosh filter applying `fold` (module-level so the schema pickles)."""

    def __call__(self, tokens):
        for token in tokens:
            token.text = fold(token.text)
            yield token


COMMON_WORDS = 300  # the most frequent words, whose neighbouring pairs are indexed
COMMON_SAMPLE = 3000  # documents read to find them when the index is rebuilt


class PairFilter(Filter):
    """Two common words in a row as one term ("of the", "cluster policy"), in the
    manner of Lucene's common grams: a phrase of frequent words is then one term
    lookup instead of a walk over the positions of thousands of documents, while
    phrases with a rarer word stay cheap through that word's short posting list.
    The list of common words is part of the schema (chosen at each rebuild)."""

    def __init__(self, common: Iterable[str] = ()) -> None:
        self.common = frozenset(common)

    def __eq__(self, other) -> bool:
        return isinstance(other, PairFilter) and other.common == self.common

    def __call__(self, tokens):
        common = self.common
        previous = None
        for token in tokens:
            text = token.text
            if previous is not None and text in common:
                token.text = previous + " " + text
                yield token
            previous = text if text in common else None


_WORD = r"\w+"


def folded_analyzer():
    return RegexTokenizer(_WORD) | LowercaseFilter() | FoldFilter()


def pair_analyzer(common: Iterable[str] = ()):
    return folded_analyzer() | PairFilter(common)


def pair(a: str, b: str) -> str:
    """The `pairs` term of two folded words in a row."""
    return a + " " + b


def stemming_analyzer(algorithm: str):
    return RegexTokenizer(_WORD) | LowercaseFilter() | PyStemmerFilter(algorithm) | FoldFilter()


def stem_field(algorithm: str) -> str:
    return "stem_" + algorithm


def make_schema(common: Iterable[str] = ()) -> fields.Schema:
    schema = fields.Schema(
        name=fields.ID(stored=True, unique=True),
        name_folded=fields.TEXT(analyzer=folded_analyzer(), field_boost=2.0),
        title=fields.TEXT(analyzer=folded_analyzer(), stored=True, field_boost=5.0),
        # titles and names only: a small vocabulary that prefixes expand in quickly
        suggest=fields.TEXT(analyzer=folded_analyzer(), phrase=False),
        headings=fields.TEXT(analyzer=folded_analyzer(), field_boost=2.0),
        body=fields.TEXT(analyzer=folded_analyzer()),
        # word pairs of the title, headings and body: phrases without positions
        pairs=fields.TEXT(analyzer=pair_analyzer(common), phrase=False),
        content=fields.STORED(),
        meta=fields.STORED(),
        facets=fields.COLUMN(columns.VarBytesColumn()),
        modified=fields.DATETIME(stored=True, sortable=True),
        # the first segment of the name, casefolded: what read permissions go by
        space=fields.ID(),
        author=fields.TEXT(analyzer=folded_analyzer(), stored=True),
        **{f: fields.KEYWORD(lowercase=True, commas=True, scorable=False)
           for f in FILTER_FIELDS if f != "author"},
    )
    for algorithm in ALGORITHMS:
        schema.add(stem_field(algorithm), fields.TEXT(analyzer=stemming_analyzer(algorithm),
                                                      phrase=False))
    return schema


@dataclass(frozen=True)
class PageDoc:
    """What the index needs to know about a page."""

    name: str
    title: str
    text: str  # the body as plain words
    headings: list[str]
    meta: dict
    author: str
    modified: datetime
    language: str


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


Loader = Callable[[list[str]], Iterable[PageDoc]]  # paths -> documents (missing ones skipped)

BITS_CACHE_SIZE = 6000  # posting lists kept as bitsets (a few KB each at 50,000 pages)
RANK_ALL_BELOW = 1000  # more matches than this: rank the title matches first (see _ranked)


class Bits:
    """Which documents a query matches, as one Python integer (bit n: document n).

    Counting matches and facets this way costs a few big-integer operations
    instead of a walk over every posting in Python. Posting lists are read once
    per segment and kept as bitsets (segments never change; deletions are a
    separate mask), so a common word costs its first reading only.
    """

    def __init__(self) -> None:
        self._terms: OrderedDict[tuple, int] = OrderedDict()
        self._facets_local: dict[str, dict[tuple[str, str], int]] = {}
        self._live: dict[tuple, int] = {}
        self._dates: dict[str, list[tuple]] = {}
        self._lock = threading.Lock()

    def leaves(self, searcher) -> list[tuple[object, int, str | None]]:
        cached = getattr(searcher, "_wiki_leaves", None)  # a searcher never changes
        if cached is not None:
            return cached
        reader = searcher.reader()
        leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        result = []
        for leaf, offset in leaves:
            segment = getattr(leaf, "segment", lambda: None)()
            result.append((leaf, offset, segment.segment_id() if segment is not None else None))
        searcher._wiki_leaves = result
        return result

    def live(self, searcher) -> int:
        """Every document that is not deleted."""
        cached = getattr(searcher, "_wiki_live", None)
        if cached is not None:
            return cached
        bits = 0
        for leaf, offset, key in self.leaves(searcher):
            if leaf.has_deletions():
                deleted = leaf.segment().deleted_count() if key else None
                local = self._live.get((key, deleted)) if key else None
                if local is None:
                    local = _from_ids(leaf.all_doc_ids(), leaf.doc_count_all())
                    if key:
                        if len(self._live) > 100:
                            self._live.clear()
                        self._live[(key, deleted)] = local
            else:
                local = (1 << leaf.doc_count_all()) - 1
            bits |= local << offset
        searcher._wiki_live = bits
        return bits

    def term(self, searcher, fieldname: str, text) -> int:
        bits = 0
        for leaf, offset, key in self.leaves(searcher):
            cache_key = (key, fieldname, text) if key else None
            local = self._terms.get(cache_key) if cache_key else None
            if local is None:
                try:
                    ids = _posting_ids(leaf.postings(fieldname, text)) if (
                        (fieldname, text) in leaf) else ()
                except Exception:  # a field this segment does not have
                    ids = ()
                local = _from_ids(ids, leaf.doc_count_all())
                if cache_key:
                    with self._lock:
                        self._terms[cache_key] = local
                        if len(self._terms) > BITS_CACHE_SIZE:
                            self._terms.popitem(last=False)
            elif cache_key:
                self._terms.move_to_end(cache_key)
            bits |= local << offset
        return bits

    def query(self, searcher, q, live: int) -> int:
        """The documents `q` matches (before removing deleted ones: AND with `live`)."""
        if isinstance(q, Q.Term):
            return self.term(searcher, q.fieldname, q.text)
        if isinstance(q, Q.AndMaybe):
            return self.query(searcher, q.a, live)
        if isinstance(q, Q.AndNot):
            return self.query(searcher, q.a, live) & ~self.query(searcher, q.b, live)
        if isinstance(q, Q.Not):
            return live & ~self.query(searcher, q.query, live)
        if isinstance(q, Q.And):
            bits = live
            for sub in q.subqueries:
                bits &= self.query(searcher, sub, live)
                if not bits:
                    break
            return bits
        if isinstance(q, Q.Or) and not getattr(q, "minmatch", 0):
            bits = 0
            for sub in q.subqueries:
                bits |= self.query(searcher, sub, live)
            return bits
        if isinstance(q, Q.Every):
            return live
        if q is Q.NullQuery:
            return 0
        # phrases and anything else: Whoosh finds the documents
        return _from_ids(searcher.docs_for_query(q, for_deletion=False), 0)

    def facets(self, searcher, rows_of) -> dict[tuple[str, str], int]:
        """(facet, value) -> the documents that have it; `rows_of(leaf)` gives a
        segment's facet values per document."""
        leaves = self.leaves(searcher)
        signature = tuple((key, offset) for _leaf, offset, key in leaves)
        cached = getattr(self, "_facets_cache", None)
        if cached is not None and cached[0] == signature and None not in signature:
            return cached[1]
        result: dict[tuple[str, str], int] = {}
        for leaf, offset, key in leaves:
            local = self._facets_local.get(key) if key else None
            if local is None:
                positions: dict[tuple[str, str], list[int]] = {}
                for docnum, row in enumerate(rows_of(leaf, key)):
                    for value in row:
                        positions.setdefault(value, []).append(docnum)
                local = {v: _from_ids(ids, leaf.doc_count_all()) for v, ids in positions.items()}
                if key:
                    if len(self._facets_local) > 200:
                        self._facets_local.clear()
                    self._facets_local[key] = local
            for value, bits in local.items():
                result[value] = result.get(value, 0) | (bits << offset)
        self._facets_cache = (signature, result)
        return result

    def newest_first(self, searcher) -> Iterator[int]:
        """Every document number, the most recently modified first (lazily: each
        segment's order is kept, and they are merged only as far as needed)."""
        orders = []
        for leaf, offset, key in self.leaves(searcher):
            order = self._dates.get(key) if key else None
            if order is None:
                column = leaf.column_reader("modified") if leaf.has_column("modified") else None
                # the same second: the document indexed later (a later save) first
                order = sorted(((column[d] if column is not None else None) or datetime.min, d)
                               for d in range(leaf.doc_count_all()))
                order.reverse()
                if key:
                    if len(self._dates) > 200:
                        self._dates.clear()
                    self._dates[key] = order
            orders.append(_shifted(order, offset) if offset else order)
        for _value, docnum in heapq.merge(*orders, reverse=True):
            yield docnum


def _phrase_query(words: list[str], common: frozenset[str], boost: float = 1.0):
    """Pages with the words in this order. Neighbouring common words are one
    `pairs` term each; where a rarer word takes part, Whoosh checks positions (in
    the title, the headings and the body), which its short posting list keeps cheap."""
    if all(w in common for w in words):
        terms = [Q.Term("pairs", pair(a, b), boost=boost) for a, b in itertools.pairwise(words)]
        return Q.And(terms) if len(terms) > 1 else terms[0]
    return Q.Or([Q.Phrase("body", words, boost=boost), Q.Phrase("title", words, boost=boost * 5),
                 Q.Phrase("headings", words, boost=boost * 2)])


def common_words(docs: list[PageDoc], limit: int = COMMON_WORDS) -> list[str]:
    """The words found in most of these documents (folded), most frequent first."""
    tokenize = folded_analyzer()
    frequency: Counter = Counter()
    for doc in docs:
        frequency.update({t.text for t in tokenize(doc.title + "\n" + doc.text)})
    return [w for w, n in frequency.most_common(limit) if n > 1]


class _Stored:
    """A hit found without scoring (newest first): its stored fields and no score."""

    score = 0.0

    def __init__(self, searcher, docnum: int) -> None:
        self._searcher, self.docnum = searcher, docnum

    def fields(self) -> dict:
        return self._searcher.stored_fields(self.docnum)


def _posting_ids(matcher) -> Iterable[int]:
    """Every document number of a posting list. Whoosh's own files are read a block
    (up to 128 postings) at a time instead of one posting per three method calls."""
    if not all(hasattr(matcher, a) for a in ("_read_ids", "_next_block", "_blocklength")):
        return matcher.all_ids()
    ids: list[int] = []
    while matcher.is_active():
        matcher.id()  # loads the block's ids
        ids.extend(matcher._ids[matcher._i:])
        matcher._next_block()
    return ids


def _shifted(order: list[tuple], offset: int) -> Iterator[tuple]:
    for value, docnum in order:
        yield value, docnum + offset


def _from_ids(ids: Iterable[int], size: int) -> int:
    data = bytearray((size >> 3) + 1)
    for i in ids:
        if (i >> 3) >= len(data):
            data.extend(bytes((i >> 3) - len(data) + 1))
        data[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(data, "little")


def _ids(bits: int) -> list[int]:
    """The positions of the set bits, ascending."""
    text = bin(bits)[:1:-1]
    return [m.start() for m in re.finditer("1", text)]


class SearchIndex:
    """The Whoosh index in one folder, shared by every worker process."""

    def __init__(self, root: Path, *, default_language: str = "en") -> None:
        self.root = Path(root)
        self.default_language = default_language
        self._ix = None
        self._lock = threading.RLock()
        self._rebuilding = threading.Event()
        self._merging = threading.Lock()
        self._thread_write_lock = threading.Lock()
        self._facet_rows: dict[str, list[tuple]] = {}
        self._bits = Bits()
        self._local = threading.local()

    # -- opening -------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.root / "wiki-state.json"

    def head(self) -> str | None:
        """The commit the index reflects (None: empty or missing)."""
        try:
            state = json.loads(self.state_path.read_text())
        except (FileNotFoundError, ValueError):
            return None
        return state.get("head") if state.get("version") == SCHEMA_VERSION else None

    def _set_head(self, head: str | None) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"head": head, "version": SCHEMA_VERSION}))
        os.replace(tmp, self.state_path)

    def is_ready(self) -> bool:
        return self._open() is not None

    def _open(self):
        with self._lock:
            if self._ix is not None:
                return self._ix
            if self.head() is None:
                return None
            try:
                self._ix = whoosh_index.open_dir(str(self.root))
            except Exception:  # missing or corrupt: rebuilt, never shown to users
                log.warning("the search index at %s cannot be opened", self.root)
                return None
            return self._ix

    def close(self) -> None:
        with self._lock:
            cached = getattr(self._local, "searcher", None)
            if cached is not None:
                cached[1].close()
                self._local.searcher = None
            if self._ix is not None:
                self._ix.close()
                self._ix = None

    # -- writing -------------------------------------------------------------------

    def rebuild(self, head: str | None, paths: list[str], load: Loader,
                progress: Callable[[int], None] | None = None) -> int:
        """Index every page from scratch into a new folder, then swap it in."""
        tmp = self.root.with_name(self.root.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        documents = iter(load(paths))
        sample = list(itertools.islice(documents, COMMON_SAMPLE))
        ix = whoosh_index.create_in(str(tmp), make_schema(common_words(sample)))
        writer = ix.writer(limitmb=256)
        count = 0
        for doc in itertools.chain(sample, documents):
            writer.add_document(**self._fields(doc))
            count += 1
            if progress is not None and count % 200 == 0:
                progress(count)
        writer.commit(mergetype=CLEAR, optimize=True)
        ix.close()
        (tmp / "wiki-state.json").write_text(json.dumps({"head": head,
                                                         "version": SCHEMA_VERSION}))
        # swapped under the writers' lock, so no catch-up lands in the old folder
        with self._write_lock(120.0), self._lock:
            self.close()
            old = self.root.with_name(self.root.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self.root.exists():
                os.replace(self.root, old)
            os.replace(tmp, self.root)
            shutil.rmtree(old, ignore_errors=True)
            self._facet_rows.clear()
            self._bits = Bits()
        if progress is not None:
            progress(count)
        return count

    def catch_up(self, head: str | None, changed: Callable[[str | None, str], list[str] | None],
                 load: Loader, *, wait: float = 10.0) -> bool:
        """Index what changed between the recorded commit and `head`; False if not done now.

        `changed(old, new)` lists the paths that differ (None: cannot tell).
        """
        ix = self._open()
        if ix is None or head is None:
            return False
        if self.head() == head:
            return True
        with self._write_lock(wait) as locked:
            if not locked:
                return False  # another process is writing; it or the next search catches up
            try:
                writer = ix.writer(timeout=wait)
            except LockError:
                return False
            try:
                old = self.head()  # again, now that we hold the lock
                if old == head:
                    writer.cancel()
                    return True
                paths = changed(old, head) if old else None
                if paths is None:
                    writer.cancel()
                    return False
                found = {doc.name: doc for doc in load(paths)}
                for path in paths:
                    name = path[:-3] if path.endswith(".md") else None
                    if name is None:
                        continue
                    doc = found.get(name)
                    if doc is None:
                        writer.delete_by_term("name", name)
                    else:
                        writer.update_document(**self._fields(doc))
                # Committing without merging keeps a save fast; segments are merged later.
                writer.commit(merge=False)
            except BaseException:
                writer.cancel()
                raise
            self._set_head(head)
        self._maybe_merge(ix)
        return True

    @contextmanager
    def _write_lock(self, wait: float):
        """An exclusive lock for index writers across threads and processes.

        Whoosh's own lock polls every 100 ms; waiting on a file lock instead wakes
        the next writer the moment the previous one is done.
        """
        self.root.parent.mkdir(parents=True, exist_ok=True)
        if not self._thread_write_lock.acquire(timeout=wait):
            yield False
            return
        try:
            with open(self.root.with_name(self.root.name + ".write-lock"), "a+b") as handle:
                deadline = time.monotonic() + wait
                while True:
                    try:
                        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            yield False
                            return
                        time.sleep(0.005)
                try:
                    yield True
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            self._thread_write_lock.release()

    def _maybe_merge(self, ix) -> None:
        try:
            segments = len(ix._segments())  # Whoosh has no public count of segments
        except Exception:
            return
        if segments <= 6:
            return
        if not self._merging.acquire(blocking=False):
            return

        def merge() -> None:
            try:
                with self._write_lock(1.0) as locked:
                    if locked:
                        writer = ix.writer(timeout=1.0)
                        writer.commit()  # the default policy merges the small segments
            except LockError:
                pass
            except Exception:
                log.exception("merging search index segments failed")
            finally:
                self._merging.release()

        threading.Thread(target=merge, name="search-merge", daemon=True).start()

    def _fields(self, doc: PageDoc) -> dict:
        meta = doc.meta
        lang = (str(meta.get("lang") or "") or self.default_language).strip().lower()
        values = {
            "wg": _values(meta.get("wg")),
            "type": _values(meta.get("type")),
            "country": _values(meta.get("country")),
            "region": _values(meta.get("region")),
            "lang": [lang],
            "tags": _values(meta.get("tags")),
            "folder": [doc.name.split("/", 1)[0]] if "/" in doc.name else [],
            "year": _values(meta.get("year")),
            "author": [doc.author] if doc.author else [],
        }
        result = {
            "name": doc.name,
            "name_folded": doc.name.replace("/", " "),
            "space": doc.name.split("/", 1)[0].casefold(),
            "title": doc.title,
            "suggest": doc.title + " " + doc.name.replace("/", " "),
            "headings": " ".join(doc.headings),
            "body": doc.text,
            "pairs": "\n".join([doc.title, *doc.headings, doc.text]),
            "content": doc.text[:20_000],
            "meta": {k: v for k, v in meta.items() if isinstance(v, str | int | float | list)},
            "modified": doc.modified.replace(tzinfo=None),
            "facets": json.dumps({k: v for k, v in values.items() if k in FACETS},
                                 ensure_ascii=False).encode("utf-8"),
        }
        for key, vals in values.items():
            result[key] = ",".join(v.replace(",", " ") for v in vals)
        result["author"] = doc.author
        algorithm = STEMMERS.get(lang.split("-")[0])
        if algorithm:
            result[stem_field(algorithm)] = " ".join([doc.title, *doc.headings, doc.text])
        return result

    # -- searching ------------------------------------------------------------------

    def search(self, text: str, *, filters: dict[str, str] | None = None, sort: str = "relevance",
               page: int = 1, restrict=None) -> Results:
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
            q = self._build(clauses, searcher, filters.get("lang"))
            parts = [Q.And([Q.Term("author", fold(w)) for w in _words(v)]) if k == "author"
                     else Q.Term(k, v.lower()) for k, v in filters.items()]
            if restrict is not None:
                parts.append(restrict)
            if q is None and not parts:
                return results
            if q is None:
                q = Q.Every()
            limit = PAGE_SIZE * page
            where = Q.And(parts) if parts else None
            # Which documents match, their number and the facet counts come from
            # bitsets; only the best `limit` are then scored and ranked by Whoosh.
            bits = self._bits
            live = bits.live(searcher)
            match = bits.query(searcher, q, live) & live
            for part in parts:
                if match:
                    match &= bits.query(searcher, part, live)
            results.total = match.bit_count()
            if not match:
                found = []
            elif sort == "date":
                found = self._newest(searcher, match, limit)
            else:
                found = self._ranked(searcher, q, clauses, match, live, limit,
                                     filtered=where is not None)
            words = [w for c in clauses if not c.negated for w in c.words()]
            for hit in found[PAGE_SIZE * (page - 1):limit]:
                stored = hit.fields()
                results.hits.append(Hit(
                    name=stored["name"],
                    title=stored.get("title") or stored["name"],
                    snippet=snippet(stored.get("content", ""), words),
                    score=float(hit.score or 0.0),
                    meta=stored.get("meta") or {},
                    modified=stored.get("modified"),
                ))
            results.facets = self._facets(searcher, match)
            if results.total == 0 and words:
                suggestion = self._suggest_spelling(searcher, text, clauses)
                # offered only if it finds something the user may see: the spelling
                # dictionary holds the words of every page, private ones too
                if suggestion:
                    better = self._build(parse_query(suggestion), searcher, filters.get("lang"))
                    kwargs = {"filter": where} if where is not None else {}
                    if better is not None and searcher.search(better, limit=1, **kwargs):
                        results.suggestion = suggestion
        return results

    def _build(self, clauses: list[Clause], searcher, lang: str | None):
        reader = searcher.reader()
        if lang in STEMMERS:
            algorithms = [STEMMERS[lang]]
        else:  # only the languages the wiki has pages in
            algorithms = [a for a in ALGORITHMS if _has_terms(reader, stem_field(a))]
        must, must_not = [], []
        for clause in clauses:
            q = self._clause_query(clause, reader, algorithms, self._common(searcher))
            if q is None:
                continue
            (must_not if clause.negated else must).append(q)
        if not must:
            if must_not:
                return Q.AndNot(Q.Every(), Q.Or(must_not))
            return None
        core = Q.And(must) if len(must) > 1 else must[0]
        # an exact phrase of all the words ranks above the same words scattered
        plain = [w for c in clauses if not c.negated and c.kind == "word" for w in c.words()]
        if len(plain) > 1:
            folded = [fold(w) for w in plain]
            core = Q.AndMaybe(core, _phrase_query(folded, self._common(searcher), boost=3.0))
        if must_not:
            core = Q.AndNot(core, Q.Or(must_not))
        return core

    @staticmethod
    def _common(searcher) -> frozenset[str]:
        """The common words of this index's pairs field (its schema holds them)."""
        cached = getattr(searcher, "_wiki_common", None)
        if cached is None:
            cached = frozenset()
            if "pairs" in searcher.schema:
                for item in getattr(searcher.schema["pairs"].analyzer, "items", ()):
                    if isinstance(item, PairFilter):
                        cached = item.common
            searcher._wiki_common = cached
        return cached

    def _clause_query(self, clause: Clause, reader, algorithms: list[str],
                      common: frozenset[str] = frozenset()):
        if clause.kind == "or":
            parts = [self._clause_query(c, reader, algorithms, common) for c in clause.children]
            parts = [p for p in parts if p is not None]
            return Q.Or(parts) if parts else None
        if clause.kind == "field":
            name = {"tag": "tags"}.get(clause.field, clause.field)
            if name == "title":
                return Q.And([Q.Term("title", fold(w)) for w in _words(clause.value)]) or None
            if name == "author":
                return Q.And([Q.Term("author", fold(w)) for w in _words(clause.value)]) or None
            if name in FILTER_FIELDS:
                return Q.Term(name, clause.value.lower())
            return None
        if clause.kind == "phrase":
            words = [fold(w) for w in _words(clause.value)]
            if not words:
                return None
            if len(words) == 1:
                return self._word_query(words[0], clause.value, reader, algorithms)
            return _phrase_query(words, common)
        if clause.kind == "prefix":
            stem = fold(clause.value)
            if not stem:
                return None
            terms = []
            for fieldname in ("title", "body", "name_folded"):
                expanded = _expand(reader, fieldname, stem)
                terms += [Q.Term(fieldname, t) for t in expanded]
            return Q.Or(terms) if terms else Q.NullQuery
        words = _words(clause.value)
        if not words:
            return None
        parts = [self._word_query(fold(w), w, reader, algorithms) for w in words]
        return Q.And(parts) if len(parts) > 1 else parts[0]

    def _word_query(self, folded: str, original: str, reader, algorithms: list[str]):
        # The title and the folded body hold every exact word (headings and the
        # page name are part of them); each language's stem field adds the other
        # forms. Few fields per word keep the query cheap to run.
        options = [Q.Term("title", folded), Q.Term("body", folded)]
        for algorithm in algorithms:
            fieldname = stem_field(algorithm)
            stem = _stem(algorithm, original)
            options.append(Q.Term(fieldname, stem, boost=0.8))
            if algorithm in COMPOUNDING and len(stem) >= STEM_PREFIX_MIN:
                # compounds: "klaszter" also finds "klaszterfinanszírozás"
                options += [Q.Term(fieldname, t, boost=0.3)
                            for t in _expand(reader, fieldname, stem, limit=4) if t != stem]
        return Q.Or(options)

    def _facets(self, searcher, match: int) -> dict[str, dict[str, int]]:
        counts = []
        if match:
            for value, bits in self._bits.facets(searcher, self._leaf_rows).items():
                n = (match & bits).bit_count()
                if n:
                    counts.append((value, n))
        counts.sort(key=lambda item: (-item[1], item[0]))
        facets: dict[str, dict[str, int]] = {f: {} for f in FACETS}
        for (facet, value), n in counts:
            if len(facets[facet]) < 30:
                facets[facet][value] = n
        return facets

    def _ranked(self, searcher, q, clauses: list[Clause], match: int, live: int, limit: int,
                *, filtered: bool) -> list:
        """The best `limit` matches by relevance.

        Title matches rank above mentions in the text. When thousands of pages
        match, that is taken literally: the pages with a query word in the title
        (or the words as a phrase) come first, ordered by the score of the words
        in title, text and pairs, and only after them the rest, by the full score.
        Scoring a few hundred title matches instead of every match is what keeps
        common words fast; the rest is scored only when paging gets that far.
        """
        words = [fold(w) for c in clauses if not c.negated and c.kind in ("word", "phrase")
                 for w in _words(c.value)]
        if match.bit_count() <= RANK_ALL_BELOW or not words:
            ids = set(_ids(match)) if filtered else None
            return list(searcher.search(q, limit=limit, filter=ids, terms=False))
        common = self._common(searcher)
        pairs = [pair(a, b) for a, b in itertools.pairwise(words) if a in common and b in common]
        candidates = Q.Or([Q.Term("title", w) for w in words]
                          + [Q.Term("pairs", p) for p in pairs])
        best = self._bits.query(searcher, candidates, live) & match
        found: list = []
        if best:
            # the stemmed fields would add to every one of these alike: left out
            rank = Q.Or([Q.Term("title", w) for w in words] + [Q.Term("body", w) for w in words]
                        + [Q.Term("pairs", p, boost=3.0) for p in pairs])
            found = list(searcher.search(rank, limit=limit, filter=set(_ids(best)),
                                         terms=False))
        rest = match & ~best
        if len(found) < limit and rest:
            found += searcher.search(q, limit=limit - len(found), filter=set(_ids(rest)),
                                     terms=False)
        return found

    def _newest(self, searcher, match: int, limit: int) -> list[_Stored]:
        """The `limit` most recently modified matching documents."""
        found = []
        ids = set(_ids(match)) if match.bit_count() < 4096 else None
        for docnum in self._bits.newest_first(searcher):
            if (docnum in ids) if ids is not None else (match >> docnum) & 1:
                found.append(_Stored(searcher, docnum))
                if len(found) >= limit:
                    break
        return found

    @contextmanager
    def _searcher(self, ix):
        """This thread's searcher, reopened only when the index changed.

        Opening a searcher opens every segment's files; reusing one between
        requests saves most of the cost of a query.
        """
        cached = getattr(self._local, "searcher", None)
        if cached is None or cached[0] is not ix:
            searcher = ix.searcher()
        else:
            searcher = cached[1]
            if not searcher.up_to_date():
                # A new searcher rather than refresh(): refresh() reuses segment
                # readers and so keeps showing documents deleted since.
                searcher.close()
                searcher = ix.searcher()
        self._local.searcher = (ix, searcher)
        yield searcher

    def _leaf_rows(self, leaf, key: str | None) -> list[tuple]:
        """Facet values of every document of a segment, decoded once per segment."""
        cached = self._facet_rows.get(key) if key else None
        if cached is None:
            cached = []
            col = leaf.column_reader("facets") if leaf.has_column("facets") else None
            for docnum in range(leaf.doc_count_all()):
                raw = col[docnum] if col is not None else b""
                values = json.loads(raw.decode("utf-8")) if raw else {}
                cached.append(tuple((k, v) for k, vs in values.items() for v in vs))
            if key:
                if len(self._facet_rows) > 200:
                    self._facet_rows.clear()
                self._facet_rows[key] = cached
        return cached

    def _suggest_spelling(self, searcher, text: str, clauses: list[Clause]) -> str | None:
        reader = searcher.reader()
        correctors = [searcher.corrector(f) for f in ("body", "title")]
        changed = False
        out = text
        for clause in clauses:
            if clause.kind != "word" or clause.negated:
                continue
            for word in _words(clause.value):
                folded = fold(word)
                if len(folded) < 4 or any(reader.doc_frequency(f, folded)
                                          for f in ("body", "title")):
                    continue
                for corrector in correctors:
                    found = corrector.suggest(folded, limit=1, maxdist=2, prefix=1)
                    if found:
                        out = out.replace(word, found[0], 1)
                        changed = True
                        break
        return out if changed else None

    def suggest(self, text: str, *, limit: int = 10, restrict=None) -> list[tuple[str, str]]:
        """Pages whose title or name starts with the typed words: [(name, title)]."""
        ix = self._open()
        words = [fold(w) for w in _words(text)][:6]
        if ix is None or not words:
            return []
        with self._searcher(ix) as searcher:
            reader = searcher.reader()
            # every word but the last is complete; the last is still being typed
            parts = [Q.Term("suggest", w) for w in words[:-1]]
            expanded = _expand(reader, "suggest", words[-1], limit=MAX_PREFIX_TERMS)
            if not expanded:
                return []
            parts.append(Q.Or([Q.Term("suggest", t) for t in expanded]))
            q = Q.And(parts) if len(parts) > 1 else parts[0]
            kwargs = {"filter": restrict} if restrict is not None else {}
            found = searcher.search(q, limit=limit, **kwargs)
            return [(h["name"], h.get("title") or h["name"]) for h in found]

    @staticmethod
    def hide_spaces(spaces: Iterable[str]):
        """A restriction that hides the pages of these spaces (for `restrict`): pages in
        the top-level folder of that name and a top-level page of that name."""
        hidden = [Q.Term("space", f.casefold()) for f in spaces]
        return Q.Not(Q.Or(hidden)) if hidden else None

    def doc_count(self) -> int:
        ix = self._open()
        return ix.doc_count() if ix is not None else 0

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.glob("*") if p.is_file())


def _has_terms(reader, fieldname: str) -> bool:
    try:
        return reader.field_length(fieldname) > 0
    except KeyError:
        return False


def _expand(reader, fieldname: str, prefix: str, limit: int = MAX_PREFIX_TERMS) -> list[str]:
    """At most `limit` indexed terms starting with `prefix` (most frequent first)."""
    found = []
    try:
        for term in reader.expand_prefix(fieldname, prefix):
            found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
            if len(found) >= limit * 4:
                break
    except KeyError:
        return []
    if len(found) > limit:
        found.sort(key=lambda t: -reader.doc_frequency(fieldname, t))
        found = found[:limit]
    return found


_STEMMERS: dict[str, object] = {}


def _stem(algorithm: str, word: str) -> str:
    stemmer = _STEMMERS.get(algorithm)
    if stemmer is None:
        import Stemmer

        stemmer = _STEMMERS[algorithm] = Stemmer.Stemmer(algorithm)
    return fold(stemmer.stemWord(word.lower()))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    return [v.strip() for v in text.split(",") if v.strip()] if text else []


_TOKEN = re.compile(r"\w+")


def snippet(text: str, words: list[str], *, width: int = 240) -> Markup:
    """An escaped excerpt around the first matches, with <mark> around words like the query."""
    if not text:
        return Markup("")
    wanted = {fold(w) for w in words if w}
    stems = tuple({w[: max(4, len(w) - 3)] for w in wanted if len(w) >= 4})

    def matches(token: str) -> bool:
        f = fold(token)
        return f in wanted or (bool(stems) and f.startswith(stems))

    first = None
    if wanted:
        first = next((m for m in _TOKEN.finditer(text) if matches(m.group(0))), None)
    start = 0 if first is None else max(0, first.start() - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    out = []
    pos = start
    for m in _TOKEN.finditer(text, start, end):
        if wanted and matches(m.group(0)):
            out.append(str(escape(text[pos:m.start()])))
            out.append("<mark>" + str(escape(m.group(0))) + "</mark>")
            pos = m.end()
    out.append(str(escape(text[pos:end])))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    # every piece of page text above went through escape(); only <mark> is added
    return Markup(prefix + "".join(out).strip() + suffix)
