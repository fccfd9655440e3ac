"""Index segments for matching: from their posting packs, or read through Whoosh.

Whoosh writes each segment once and never changes it. Reading its posting lists
through Whoosh is slow in Python (each block of 128 postings is unpickled,
decompressed and delta-decoded), so every segment is copied once into a posting
pack (see postings.py) beside its files; ``MAIN_<segment id>.wikipack`` is
named like the segment's own files, so Whoosh deletes it with the segment. A
segment whose pack is not written yet is read through Whoosh term by term.

Imports whoosh (as only the search package may). No Flask imports.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from .internals import read_postings
from .matching import BitsCache
from .matching import Part
from .matching import Snapshot
from .postings import Pack
from .postings import PackWriter
from .postings import Postings
from .postings import bits_from_ids
from .postings import impact
from .schema import PairFilter

log = logging.getLogger(__name__)

PACK_SUFFIX = ".wikipack"
PHRASE_FIELDS = frozenset({"title", "headings", "body"})  # the fields phrases look at
SKIPPED_FIELDS = frozenset({"modified"})  # not words: dates are read from the column
_EPOCH = datetime(1970, 1, 1)


def pack_path(root: Path, segment_id: str) -> Path:
    return Path(root) / (segment_id + PACK_SUFFIX)


def open_pack(path: Path) -> Pack | None:
    """The pack at `path`; None if there is none or it is damaged (it is written again)."""
    try:
        return Pack(path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("posting pack %s is unusable (%s)", path.name, exc)
        return None


class Packs:
    """The open posting packs of one index folder, shared by the threads of a process."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._open: dict[str, Pack] = {}
        self._lock = threading.Lock()

    def get(self, segment_id: str) -> Pack | None:
        with self._lock:
            pack = self._open.get(segment_id)
        if pack is None:
            pack = open_pack(pack_path(self.root, segment_id))
            if pack is not None:
                with self._lock:
                    self._open[segment_id] = pack
        return pack

    def keep_only(self, segment_ids: set) -> None:
        """Let go of the packs of segments that were merged away."""
        with self._lock:
            for key in set(self._open) - segment_ids:
                del self._open[key]

    def clear(self) -> None:
        with self._lock:
            self._open.clear()


def leaves_of(reader) -> list[tuple[object, int]]:
    """(segment reader, offset of its first document) of every segment."""
    return reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]


def snapshot_of(searcher, packs: Packs, bits: BitsCache) -> tuple[Snapshot, list[Part]]:
    """The matching view of a Whoosh searcher's segments, and the parts read through
    Whoosh because their pack is not written (yet)."""
    leaves = leaves_of(searcher.reader())
    average = None
    parts, unpacked, keys = [], [], set()
    for leaf, offset in leaves:
        segment = getattr(leaf, "segment", lambda: None)()
        key = segment.segment_id() if segment is not None else None
        source = packs.get(key) if key else None
        if source is None:
            if average is None:
                average = averages([lf for lf, _offset in leaves])
            source = LeafSegment(leaf, searcher.schema, average)
        part = Part(source, key, offset)
        if isinstance(source, LeafSegment):
            unpacked.append(part)
        keys.add(key)
        parts.append(part)
    packs.keep_only(keys)
    snapshot = Snapshot(parts, live_bits(leaves), bits)
    snapshot.common = common_of(searcher.schema)
    return snapshot, unpacked


def live_bits(leaves) -> int:
    """Every document that is not deleted, as a bitset."""
    bits = 0
    for leaf, offset in leaves:
        local = (1 << leaf.doc_count_all()) - 1
        if leaf.has_deletions():
            local &= ~bits_from_ids(leaf.segment().deleted_docs(), leaf.doc_count_all())
        bits |= local << offset
    return bits


def common_of(schema) -> frozenset[str]:
    """The common words of an index's pairs field (its schema holds them)."""
    if "pairs" in schema:
        for item in getattr(schema["pairs"].analyzer, "items", ()):
            if isinstance(item, PairFilter):
                return item.common
    return frozenset()


def write_missing_packs(
    ix,
    root: Path,
    minimum: int,
    progress: Callable[[int, int], None] | None = None,
    procs: int = 1,
) -> int:
    """Write the pack of every segment of at least `minimum` documents that has none;
    the caller holds the lock that makes this one process at a time. With `procs` > 1
    (the command line only: it forks), segments are packed in that many processes."""
    for stale in Path(root).glob("*" + PACK_SUFFIX + ".*.tmp"):
        stale.unlink(missing_ok=True)  # left by a writer that was stopped
    with ix.reader() as reader:
        leaves = [leaf for leaf, _offset in leaves_of(reader)]
        average = averages(leaves)
        todo = [
            leaf
            for leaf in leaves
            if leaf.doc_count_all() >= minimum
            and open_pack(pack_path(root, leaf.segment().segment_id())) is None
        ]
        children = []
        if procs > 1 and len(todo) > 1:
            context = multiprocessing.get_context("fork")
            for leaf in todo[1:]:
                child = context.Process(
                    target=_pack_apart, args=(ix, root, leaf.segment().segment_id(), average)
                )
                child.start()
                children.append(child)
            todo = todo[:1]  # this process packs the first, its progress shown
        written = 0
        for leaf in todo:
            try:
                write_pack(
                    leaf, ix.schema, pack_path(root, leaf.segment().segment_id()), average, progress
                )
                written += 1
            except FileNotFoundError:
                pass  # the segment was merged away meanwhile: Whoosh removed its files
        for child in children:
            child.join()
            written += child.exitcode == 0
    return written


def _pack_apart(ix, root: Path, segment_id: str, average: dict[str, float]) -> None:
    """In a forked process: the pack of one segment, read through a reader of its own."""
    with ix.reader() as reader:
        for leaf, _offset in leaves_of(reader):
            if leaf.segment().segment_id() == segment_id:
                write_pack(leaf, ix.schema, pack_path(root, segment_id), average, None)


def averages(leaves) -> dict[str, float]:
    """The average length of every field over these segments (for BM25)."""
    totals: dict[str, int] = {}
    docs = 0
    for leaf in leaves:
        docs += leaf.doc_count_all()
        for fieldname in leaf.indexed_field_names():
            totals[fieldname] = totals.get(fieldname, 0) + leaf.field_length(fieldname)
    return {f: n / docs for f, n in totals.items()} if docs else {}


class LeafSegment:
    """A segment read through Whoosh itself, one posting list at a time."""

    def __init__(self, leaf, schema, average: dict[str, float]) -> None:
        self.leaf = leaf
        self.schema = schema
        self.doc_count = leaf.doc_count_all()
        self._average = average
        self._fieldnames = frozenset(leaf.indexed_field_names())
        self._lengths: dict[str, list[int] | None] = {}
        self._read: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()
        self._facets: dict | None = None

    def has_field(self, fieldname: str) -> bool:
        return fieldname in self._fieldnames

    def doc_frequency(self, fieldname: str, term: bytes) -> int:
        if fieldname not in self._fieldnames or (fieldname, term) not in self.leaf:
            return 0
        return self.leaf.doc_frequency(fieldname, term)

    def read(self, fieldname: str, term: bytes) -> tuple[list[int], list[int], list | None]:
        """(ids, term frequencies, encoded positions or None) of one posting list."""
        key = (fieldname, term)
        with self._lock:
            found = self._read.get(key)
        if found is not None:
            return found
        if fieldname not in self._fieldnames or key not in self.leaf:
            return [], [], None
        found = _read_postings(self.leaf, self.schema[fieldname], fieldname, term)
        with self._lock:
            self._read[key] = found
            if len(self._read) > 256:
                self._read.popitem(last=False)
        return found

    def lengths(self, fieldname: str) -> list[int] | None:
        """Every document's length of this field (None: the field keeps no lengths)."""
        if fieldname not in self._lengths:
            field = self.schema[fieldname] if fieldname in self.schema else None
            if field is None or not field.scorable:
                self._lengths[fieldname] = None
            else:
                length = self.leaf.doc_field_length
                self._lengths[fieldname] = [
                    length(d, fieldname, 0) or 0 for d in range(self.doc_count)
                ]
        return self._lengths[fieldname]

    def impacts(self, fieldname: str, ids: list[int], tfs: list[int]) -> list[int]:
        lengths = self.lengths(fieldname)
        if lengths is None:
            return [255] * len(ids)
        average = self._average.get(fieldname) or 1.0
        return [impact(tf, lengths[d], average) for d, tf in zip(ids, tfs, strict=True)]

    def bits(self, fieldname: str, term: bytes) -> int:
        return bits_from_ids(self.read(fieldname, term)[0], self.doc_count)

    def postings(self, fieldname: str, term: bytes) -> Postings | None:
        ids, tfs, _values = self.read(fieldname, term)
        if not ids:
            return None
        return Postings(array("I", ids), array("B", self.impacts(fieldname, ids, tfs)))

    def positions(self, fieldname: str, term: bytes):
        ids, _tfs, values = self.read(fieldname, term)
        if not ids or values is None:
            return None
        decode = self.schema[fieldname].format.decode_positions
        decoded = [decode(v) for v in values]
        return ids, [len(p) for p in decoded], [p for ps in decoded for p in ps]

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[bytes, int]]:
        if fieldname not in self._fieldnames:
            return
        for term in self.leaf.expand_prefix(fieldname, prefix):
            yield term, self.leaf.doc_frequency(fieldname, term)

    def facets(self) -> dict[tuple[str, str], int]:
        if self._facets is None:
            self._facets = {
                value: bits_from_ids(ids, self.doc_count)
                for value, ids in facet_postings(self.leaf).items()
            }
        return self._facets

    def newest(self) -> list[tuple[float, int]]:
        return newest_first(self.leaf)


def _read_postings(leaf, field, fieldname: str, term: bytes):
    matcher = leaf.postings(fieldname, term)
    boost = getattr(field.format, "field_boost", 1.0) or 1.0
    positional = fieldname in PHRASE_FIELDS and field.format.supports("positions")
    ids, weights, values = read_postings(matcher, with_values=positional)
    # Whoosh multiplies the frequency by the field's boost; boosts are the query's business
    tfs = [max(1, round(w / boost)) for w in weights]
    return ids, tfs, values


def facet_postings(leaf) -> dict[tuple[str, str], list[int]]:
    """(facet, value) -> the documents of this segment that have it."""
    found: dict[tuple[str, str], list[int]] = {}
    column = leaf.column_reader("facets") if leaf.has_column("facets") else None
    if column is None:
        return found
    for docnum in range(leaf.doc_count_all()):
        raw = column[docnum]
        if raw:
            for facet, values in json.loads(raw.decode("utf-8")).items():
                for value in values:
                    found.setdefault((facet, value), []).append(docnum)
    return found


def newest_first(leaf) -> list[tuple[float, int]]:
    """(time stamp, document number) of every document, the most recently modified first;
    at the same second, the document indexed later (a later save) first."""
    column = leaf.column_reader("modified") if leaf.has_column("modified") else None
    order = []
    for docnum in range(leaf.doc_count_all()):
        value = column[docnum] if column is not None else None
        stamp = (value - _EPOCH).total_seconds() if isinstance(value, datetime) else -1e18
        order.append((stamp, docnum))
    order.sort(reverse=True)
    return order


def write_pack(
    leaf,
    schema,
    path: Path,
    average: dict[str, float],
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Copy a segment's posting lists, facets and date order into a pack at `path`.
    `progress(done, total)` is told after every field."""
    try:
        return _write_pack(leaf, schema, path, average, progress, wide=False)
    except OverflowError:  # a position or a frequency beyond 65,535: wider arrays
        return _write_pack(leaf, schema, path, average, progress, wide=True)


def _write_pack(
    leaf, schema, path: Path, average: dict[str, float], progress, *, wide: bool
) -> Path:
    segment = LeafSegment(leaf, schema, average)
    writer = PackWriter(path, segment.doc_count)
    fieldnames = [
        f for f in sorted(leaf.indexed_field_names()) if f not in SKIPPED_FIELDS and f in schema
    ]
    try:
        for done, fieldname in enumerate(fieldnames):
            if progress is not None:
                progress(done, len(fieldnames))
            field = schema[fieldname]
            positional = fieldname in PHRASE_FIELDS and field.format.supports("positions")
            limit = 1 << 16 if wide else 0
            writer.start_field(fieldname, positional=positional, max_position=limit, max_tf=limit)
            decode = field.format.decode_positions if positional else None
            for term in leaf.lexicon(fieldname):
                ids, tfs, values = _read_postings(leaf, field, fieldname, term)
                positions = [decode(v) for v in values] if decode and values is not None else None
                writer.add_term(term, ids, segment.impacts(fieldname, ids, tfs), positions)
        for (facet, value), ids in facet_postings(leaf).items():
            writer.add_facet(facet, value, ids)
        order = newest_first(leaf)
        writer.set_newest([d for _s, d in order], [s for s, _d in order])
    except BaseException:
        writer.abort()
        raise
    path = writer.finish()
    if progress is not None:
        progress(len(fieldnames), len(fieldnames))
    return path
