"""The search engine: a Whoosh index of the pages, in many languages, faceted.

The package is the only place that imports whoosh, so the engine stays cheap
to change; nothing in it imports Flask. Its modules, from the bottom up:

- terms: folding, stemming, word pairs (what text becomes as terms);
- query: the query syntax, and the index query it means;
- postings: posting packs, a segment's posting lists as plain arrays;
- matching: matching on bitsets and BM25 ranking over any segments;
- schema: the Whoosh schema and analyzers, the fields of a page (whoosh);
- segments: packs written from Whoosh segments, segments read through Whoosh;
- internals: every use of Whoosh's private API;
- snippets: excerpts with the matched words marked;
- searching: results, facets, spelling suggestions, suggestions while typing;
- here: SearchIndex, the index's life cycle (rebuild, catch up with git,
  merge, packs, snapshots for searchers).

The index records the commit it reflects and catches up with any later commit
by reading only the paths that changed, so it stays in step with git however
the commits arrived.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.multiproc import MpWriter
from whoosh.writing import CLEAR

from ..locks import exclusive
from .internals import segment_count
from .matching import BitsCache
from .matching import Snapshot
from .schema import SCHEMA_VERSION
from .schema import FoldFilter  # noqa: F401 (indexes pickle their schema by these names)
from .schema import PageDoc
from .schema import PairFilter  # noqa: F401
from .schema import common_words
from .schema import document_fields
from .schema import make_schema
from .searching import PAGE_SIZE
from .searching import Hit
from .searching import Results
from .searching import Searching
from .segments import Packs
from .segments import snapshot_of
from .segments import write_missing_packs
from .terms import ALGORITHMS
from .terms import stem_field

__all__ = ["PAGE_SIZE", "Hit", "Loader", "Results", "SearchIndex"]

log = logging.getLogger(__name__)

PACK_MIN_DOCS = 200  # smaller segments are read through Whoosh (cheap, and soon merged)
PARALLEL_MIN_PAGES = 2000  # fewer pages are indexed by one process
COMMON_SAMPLE = 3000  # documents read to find the common words when the index is rebuilt


Loader = Callable[[list[str]], Iterable[PageDoc]]  # paths -> documents (missing ones skipped)


class SearchIndex(Searching):
    """The Whoosh index in one folder, shared by every worker process."""

    def __init__(self, root: Path, *, default_language: str = "en") -> None:
        self.root = Path(root)
        self.default_language = default_language
        self._ix = None
        self._lock = threading.RLock()
        self._merging = threading.Lock()
        self._packing = threading.Lock()
        self._thread_write_lock = threading.Lock()
        self._bits = BitsCache()
        self._packs = Packs(self.root)
        self._local = threading.local()
        self._open_searchers: set = set()  # of every thread, so that close() closes them all

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
                # Without mmap: Whoosh would copy every file of a segment into memory
                # when a searcher opens it (0.25 s and 300 MB per worker at 50,000
                # pages); postings come from the packs, so few reads remain.
                self._ix = FileStorage(str(self.root), supports_mmap=False).open_index()
            except Exception:  # missing or corrupt: rebuilt, never shown to users
                log.warning("the search index at %s cannot be opened", self.root)
                return None
            return self._ix

    def close(self) -> None:
        with self._lock:
            self._local = threading.local()
            for searcher in list(self._open_searchers):
                searcher.close()
            self._open_searchers.clear()
            if self._ix is not None:
                self._ix.close()
                self._ix = None
            self._packs.clear()

    # -- writing -------------------------------------------------------------------

    def rebuild(
        self,
        head: str | None,
        paths: list[str],
        load: Loader,
        progress: Callable[[int], None] | None = None,
        packing: Callable[[int, int], None] | None = None,
        procs: int = 1,
    ) -> int:
        """Index every page from scratch into a new folder, then swap it in.

        `progress(pages)` follows the indexing, `packing(done, total)` the posting packs.
        With `procs` > 1 (`wiki reindex`: it forks, so never in a serving process with
        threads) the pages are analysed and written by that many processes into as many
        segments, and their posting packs written side by side.
        """
        tmp = self.root.with_name(self.root.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        documents = iter(load(paths))
        sample = list(itertools.islice(documents, COMMON_SAMPLE))
        ix = whoosh_index.create_in(str(tmp), make_schema(common_words(sample)))
        parallel = procs > 1 and len(paths) >= PARALLEL_MIN_PAGES
        if parallel:
            batch = max(10, min(200, len(paths) // (procs * 4)))  # every process gets batches
            writer = MpWriter(ix, procs=procs, batchsize=batch, multisegment=True, limitmb=128)
        else:
            writer = ix.writer(limitmb=256)
        count = 0
        for doc in itertools.chain(sample, documents):
            writer.add_document(**document_fields(doc, self.default_language))
            count += 1
            if progress is not None and count % 200 == 0:
                progress(count)
        if progress is not None:
            progress(count)
        # in parallel, one segment per process (merging them would take one process as
        # long again); the searches read any number of segments
        writer.commit(mergetype=CLEAR, optimize=not parallel)
        self._write_packs(ix, tmp, minimum=0, progress=packing, procs=procs if parallel else 1)
        ix.close()
        (tmp / "wiki-state.json").write_text(json.dumps({"head": head, "version": SCHEMA_VERSION}))
        # swapped under the writers' lock, so no catch-up lands in the old folder
        with self._write_lock(120.0), self._lock:
            self.close()
            old = self.root.with_name(self.root.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if self.root.exists():
                os.replace(self.root, old)
            os.replace(tmp, self.root)
            shutil.rmtree(old, ignore_errors=True)
            self._bits = BitsCache()
        if progress is not None:
            progress(count)
        return count

    def catch_up(
        self,
        head: str | None,
        changed: Callable[[str | None, str], list[str] | None],
        load: Loader,
        *,
        wait: float = 10.0,
    ) -> bool:
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
            old = self.head()  # again, now that we hold the lock
            if old == head:
                return True
            paths = changed(old, head) if old else None
            if paths is None:
                return False  # history was rewritten: only a rebuild can tell
            # a Whoosh writer only now: a cancelled one leaves empty segment files behind
            try:
                writer = ix.writer(timeout=wait)
            except LockError:
                return False
            try:
                found = {doc.name: doc for doc in load(paths)}
                for path in paths:
                    # a page is indexed by its name, a file (PDF, ...) by its path
                    name = path[:-3] if path.endswith(".md") else path
                    doc = found.get(name)
                    if doc is None:
                        writer.delete_by_term("name", name)
                    else:
                        writer.update_document(**document_fields(doc, self.default_language))
                # Committing without merging keeps a save fast; segments are merged later.
                writer.commit(merge=False)
            except BaseException:
                writer.cancel()
                raise
            self._set_head(head)
        if len(paths) >= PACK_MIN_DOCS:
            # a large catch-up (a push, a pull) made a large segment: its pack now, so
            # that the searches after it are as fast as before (about 1 s per 1,000 pages)
            self._write_packs(ix, self.root, wait=60.0)
        self._maybe_merge(ix)
        return True

    def _write_lock(self, wait: float):
        """The index writers' lock (see _exclusive)."""
        return self._exclusive("write-lock", self._thread_write_lock, wait)

    def _exclusive(self, name: str, thread_lock: threading.Lock, wait: float):
        """An exclusive lock across threads (`thread_lock`) and processes (a file
        beside the index), waited for at most `wait` seconds; yields whether it is held.
        (Whoosh's own lock polls every 100 ms; a file lock wakes the next writer the
        moment the previous one is done.)"""
        return exclusive(self.root.with_name(self.root.name + "." + name), thread_lock, wait=wait)

    def _maybe_merge(self, ix) -> None:
        segments = segment_count(ix)
        if segments is None or segments <= 6:
            return
        if not self._merging.acquire(blocking=False):
            return

        def merge() -> None:
            try:
                with self._write_lock(1.0) as locked:
                    if locked:
                        writer = ix.writer(timeout=1.0)
                        writer.commit()  # the default policy merges the small segments
                if locked:
                    self._write_packs(ix, self.root, wait=60.0)
            except LockError:
                pass
            except Exception:
                log.exception("merging search index segments failed")
            finally:
                self._merging.release()

        threading.Thread(target=merge, name="search-merge", daemon=True).start()

    def _write_packs(
        self,
        ix,
        root: Path,
        minimum: int | None = None,
        progress: Callable[[int, int], None] | None = None,
        wait: float = 600.0,
        procs: int = 1,
    ) -> int:
        """Write the posting pack of every segment of at least `minimum` documents
        (PACK_MIN_DOCS) that has none. One process at a time: one that waited `wait`
        seconds gives up (a search that finds a pack missing asks again)."""
        minimum = PACK_MIN_DOCS if minimum is None else minimum
        with self._exclusive("pack-lock", self._packing, wait) as locked:
            if not locked:
                return 0
            return write_missing_packs(ix, root, minimum, progress, procs)

    def _write_packs_soon(self, ix) -> None:
        """Write missing packs in a background thread (at most one per process)."""
        if self._packing.locked():
            return

        def run() -> None:
            try:
                self._write_packs(ix, self.root, wait=0.0)
            except Exception:
                log.exception("writing the posting packs of the search index failed")

        threading.Thread(target=run, name="search-packs", daemon=True).start()

    # -- snapshots ------------------------------------------------------------------

    def _snapshot(self, searcher) -> Snapshot:
        """The matching view of this searcher's segments (kept with the searcher).

        Segments without a pack are read through Whoosh; a snapshot that has such a
        segment looks again for its pack every second, and has it written if need be.
        """
        cached = getattr(searcher, "_wiki_snapshot", None)
        if cached is not None and (cached[1] is None or time.monotonic() < cached[1]):
            return cached[0]
        snapshot, unpacked = snapshot_of(searcher, self._packs, self._bits)
        missing = any(p.segment.doc_count >= PACK_MIN_DOCS for p in unpacked)
        if missing:
            self._write_packs_soon(self._ix)
        searcher._wiki_snapshot = (snapshot, time.monotonic() + 1.0 if missing else None)
        return snapshot

    def warm(self) -> None:
        """Read what every search needs (the term lists of the fields searched, the
        facets, the date order), so that a new worker's first search is as fast as
        the others."""
        ix = self._open()
        if ix is None:
            return
        with self._searcher(ix) as searcher:
            snapshot = self._snapshot(searcher)
            fieldnames = [
                "title",
                "body",
                "headings",
                "name_folded",
                "suggest",
                "pairs",
                *(stem_field(a) for a in ALGORITHMS),
            ]
            for fieldname in fieldnames:
                snapshot.doc_frequency(fieldname, "")
            snapshot.facets()
            next(snapshot.newest_first(), None)

    @contextmanager
    def _searcher(self, ix):
        """This thread's searcher, reopened only when the index changed.

        Opening a searcher opens every segment's files; reusing one between
        requests saves most of the cost of a query.
        """
        cached = getattr(self._local, "searcher", None)
        searcher = cached[1] if cached is not None and cached[0] is ix else None
        if searcher is not None and not searcher.up_to_date():
            # A new searcher rather than refresh(): refresh() reuses segment
            # readers and so keeps showing documents deleted since.
            self._close_searcher(searcher)
            searcher = None
        if searcher is None:
            if cached is not None:
                self._close_searcher(cached[1])
            searcher = ix.searcher()
            with self._lock:
                self._open_searchers.add(searcher)
        self._local.searcher = (ix, searcher)
        yield searcher

    def _close_searcher(self, searcher) -> None:
        with self._lock:
            self._open_searchers.discard(searcher)
        if not searcher.is_closed:
            searcher.close()

    def doc_count(self) -> int:
        ix = self._open()
        return ix.doc_count() if ix is not None else 0

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.root.glob("*") if p.is_file())
