"""Posting packs: a segment's posting lists in a form Python reads at C speed.

A search index segment never changes once written, so its posting lists can be
copied once into one file of plain arrays: for every term the document numbers
(uint32), a BM25 impact per document (uint8), and for the phrase fields the
positions; for frequent terms also the bitset of their documents. Reading a
posting list is then one slice of a memory map and one ``array.frombytes``
instead of unpickling, decompressing and delta-decoding block after block.

The pack also holds the segment's facet bitsets and its documents newest first.

No Flask, no Whoosh: segments.py feeds the writer and reads the packs.
"""

from __future__ import annotations

import bisect
import itertools
import marshal
import math
import mmap
import os
import struct
import sys
from array import array
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"WIKIPACK"
VERSION = 2
K1 = 1.2  # BM25's term-frequency saturation
B = 0.75  # BM25's document-length normalisation
IMPACT_SCALE = 255 / (K1 + 1)  # an impact of 255 is BM25's ceiling, K1 + 1
_TRAILER = struct.Struct("<Q8s")  # directory offset, magic


def impact(tf: float, length: float, average: float) -> int:
    """BM25's term-frequency part for one document, as a byte (1..255)."""
    norm = (1 - B + B * length / average) if average > 0 else 1.0
    value = tf * (K1 + 1) / (tf + K1 * norm)
    return max(1, min(255, round(value * IMPACT_SCALE)))


def idf(doc_frequency: int, doc_count: int) -> float:
    """BM25's inverse document frequency (never negative)."""
    return math.log(1 + (doc_count - doc_frequency + 0.5) / (doc_frequency + 0.5))


def bits_from_ids(ids: Iterable[int], size: int) -> int:
    """A bitset (bit n: document n) of these document numbers."""
    data = bytearray((size >> 3) + 1)
    for i in ids:
        data[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(data, "little")


@dataclass(frozen=True)
class Postings:
    """One term's posting list in one segment."""

    ids: array  # ascending document numbers
    impacts: array  # one byte per document: see impact()


class PackWriter:
    """Writes a pack file; ``finish()`` moves it into place atomically."""

    def __init__(self, path: Path, doc_count: int) -> None:
        self.path = Path(path)
        self.doc_count = doc_count
        self._tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        self._out = open(self._tmp, "wb")  # noqa: SIM115 (closed in finish/abort)
        self._out.write(MAGIC)
        self._fields: dict[str, dict] = {}
        self._field: dict | None = None
        self._facets: list[tuple[str, str, int, int]] = []
        self._newest: tuple[int, int, int] | None = None
        # the smallest array type that holds every number of this segment
        self._tf_code = "H"
        self._pos_code = "H"

    def _align(self) -> int:
        pad = -self._out.tell() % 8
        if pad:
            self._out.write(bytes(pad))
        return self._out.tell()

    def _write_array(self, code: str, values: Iterable[int] | Iterable[float]) -> int:
        start = self._align()
        self._out.write(array(code, values).tobytes())
        return start

    def start_field(
        self, fieldname: str, *, positional: bool, max_position: int = 0, max_tf: int = 0
    ) -> None:
        """Begin a field; its terms follow in ascending byte order."""
        self._end_field()
        tf_code = "H" if max_tf < 1 << 16 else "I"
        pos_code = "H" if max_position < 1 << 16 else "I"
        self._field = {
            "name": fieldname,
            "positional": positional,
            "terms": [],
            "offsets": [],
            "dfs": [],
            "bits": [],
            "tf": tf_code,
            "pos": pos_code,
        }

    def add_term(
        self,
        term: bytes,
        ids: Sequence[int],
        impacts: Sequence[int],
        positions: Sequence[Sequence[int]] | None = None,
    ) -> None:
        field = self._field
        assert field is not None and len(ids) == len(impacts)
        start = self._write_array("I", ids)
        self._out.write(array("B", impacts).tobytes())
        if field["positional"]:
            assert positions is not None
            self._align()
            self._out.write(array(field["tf"], [len(p) for p in positions]).tobytes())
            self._align()
            self._out.write(array(field["pos"], [p for ps in positions for p in ps]).tobytes())
        bits_at = 0
        if len(ids) * 32 >= self.doc_count:  # the bitset is smaller than the ids
            bits_at = self._align()
            self._out.write(
                bits_from_ids(ids, self.doc_count).to_bytes((self.doc_count >> 3) + 1, "little")
            )
        field["terms"].append(term)
        field["offsets"].append(start)
        field["dfs"].append(len(ids))
        field["bits"].append(bits_at)

    def _end_field(self) -> None:
        field = self._field
        if field is None:
            return
        self._field = None
        terms = field["terms"]
        # one separator between terms lets a reader split them at C speed; a term
        # that holds the separator itself makes the reader go by the end offsets
        separated = not any(b"\0" in term for term in terms)
        blob = b"\0".join(terms) if separated else b"".join(terms)
        blob_at = self._align()
        self._out.write(blob)
        ends = []
        end = 0
        for term in terms:
            end += len(term)
            ends.append(end)
        self._fields[field["name"]] = {
            "n": len(terms),
            "separated": separated,
            "positional": field["positional"],
            "tf": field["tf"],
            "pos": field["pos"],
            "blob": (blob_at, len(blob)),
            "ends": self._write_array("Q", ends),
            "offsets": self._write_array("Q", field["offsets"]),
            "dfs": self._write_array("I", field["dfs"]),
            "bits": self._write_array("Q", field["bits"]),
        }

    def add_facet(self, facet: str, value: str, docnums: Iterable[int]) -> None:
        bits = bits_from_ids(docnums, self.doc_count).to_bytes((self.doc_count >> 3) + 1, "little")
        start = self._align()
        self._out.write(bits)
        self._facets.append((facet, value, start, len(bits)))

    def set_newest(self, order: Sequence[int], stamps: Sequence[float]) -> None:
        """Every document, the most recently modified first, with its time stamp."""
        self._newest = (self._write_array("I", order), self._write_array("d", stamps), len(order))

    def finish(self) -> Path:
        self._end_field()
        directory = {
            "version": VERSION,
            "byteorder": sys.byteorder,
            "docs": self.doc_count,
            "fields": self._fields,
            "facets": self._facets,
            "newest": self._newest,
        }
        at = self._align()
        self._out.write(marshal.dumps(directory))
        self._out.write(_TRAILER.pack(at, MAGIC))
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._out.close()
        self._tmp.unlink(missing_ok=True)


class _Terms:
    """A field's sorted terms as one bytes object and where each ends: a sequence for
    `bisect` at about a sixth of the memory of a list of 270,000 bytes objects."""

    __slots__ = ("blob", "ends", "gap")

    def __init__(self, blob: bytes, ends: array, gap: int) -> None:
        self.blob, self.ends, self.gap = blob, ends, gap  # gap: a separator after each

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, i: int) -> bytes:
        start = self.ends[i - 1] + self.gap if i else 0
        return self.blob[start : self.ends[i]]


class _Field:
    __slots__ = ("terms", "offsets", "dfs", "bits", "positional", "tf", "pos")

    def __init__(self, data: mmap.mmap, spec: dict) -> None:
        n = spec["n"]
        blob_at, blob_len = spec["blob"]
        blob = data[blob_at : blob_at + blob_len]
        if not n:
            self.terms = _Terms(b"", array("Q"), 0)
        elif spec["separated"]:
            # each term ends where its separator is: the running sum of the lengths
            ends = array("Q", itertools.accumulate(len(term) + 1 for term in blob.split(b"\0")))
            self.terms = _Terms(blob, array("Q", (end - 1 for end in ends)), 1)
        else:
            self.terms = _Terms(blob, _array(data, "Q", spec["ends"], n), 0)
        self.offsets = _array(data, "Q", spec["offsets"], n)
        self.dfs = _array(data, "I", spec["dfs"], n)
        self.bits = _array(data, "Q", spec["bits"], n)
        self.positional, self.tf, self.pos = spec["positional"], spec["tf"], spec["pos"]

    def find(self, term: bytes) -> int:
        i = bisect.bisect_left(self.terms, term)
        return i if i < len(self.terms) and self.terms[i] == term else -1


def _array(data, code: str, start: int, count: int) -> array:
    values = array(code)
    values.frombytes(data[start : start + count * values.itemsize])
    return values


class Pack:
    """A pack file, memory-mapped. Raises ValueError when the file is not a usable pack."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < len(MAGIC) + _TRAILER.size:
                raise ValueError(f"{path} is too short to be a pack")
            self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        at, magic = _TRAILER.unpack(self._data[-_TRAILER.size :])
        if magic != MAGIC or self._data[: len(MAGIC)] != MAGIC or at >= size:
            raise ValueError(f"{path} is not a pack")
        try:
            directory = marshal.loads(self._data[at : size - _TRAILER.size])
        except (EOFError, ValueError, TypeError) as exc:
            raise ValueError(f"{path} has a damaged directory") from exc
        if directory.get("version") != VERSION or directory.get("byteorder") != sys.byteorder:
            raise ValueError(f"{path} was written by another version")
        self.doc_count: int = directory["docs"]
        self._specs: dict[str, dict] = directory["fields"]
        self._facet_specs = directory["facets"]
        self._newest_spec = directory["newest"]
        self._fields: dict[str, _Field] = {}
        self._facets: dict[tuple[str, str], int] | None = None
        self._newest: list[tuple[float, int]] | None = None

    def _field(self, fieldname: str) -> _Field | None:
        field = self._fields.get(fieldname)
        if field is None:
            spec = self._specs.get(fieldname)
            if spec is None:
                return None
            field = self._fields[fieldname] = _Field(self._data, spec)
        return field

    def has_field(self, fieldname: str) -> bool:
        return fieldname in self._specs and self._specs[fieldname]["n"] > 0

    def doc_frequency(self, fieldname: str, term: bytes) -> int:
        field = self._field(fieldname)
        i = field.find(term) if field is not None else -1
        return field.dfs[i] if i >= 0 else 0

    def bits(self, fieldname: str, term: bytes) -> int:
        field = self._field(fieldname)
        i = field.find(term) if field is not None else -1
        if i < 0:
            return 0
        at = field.bits[i]
        if at:
            return int.from_bytes(self._data[at : at + (self.doc_count >> 3) + 1], "little")
        return bits_from_ids(
            _array(self._data, "I", field.offsets[i], field.dfs[i]), self.doc_count
        )

    def postings(self, fieldname: str, term: bytes) -> Postings | None:
        field = self._field(fieldname)
        i = field.find(term) if field is not None else -1
        if i < 0:
            return None
        at, df = field.offsets[i], field.dfs[i]
        return Postings(_array(self._data, "I", at, df), _array(self._data, "B", at + 4 * df, df))

    def positions(self, fieldname: str, term: bytes) -> tuple[array, array, array] | None:
        """(ids, term frequencies, every position in document order) of a phrase field."""
        field = self._field(fieldname)
        i = field.find(term) if field is not None else -1
        if i < 0 or not field.positional:
            return None
        at, df = field.offsets[i], field.dfs[i]
        ids = _array(self._data, "I", at, df)
        at += 5 * df
        at += -at % 8
        tfs = _array(self._data, field.tf, at, df)
        at += tfs.itemsize * df
        at += -at % 8
        return ids, tfs, _array(self._data, field.pos, at, sum(tfs))

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[bytes, int]]:
        """(term, document frequency) for the terms starting with `prefix`, in order."""
        field = self._field(fieldname)
        if field is None:
            return
        i = bisect.bisect_left(field.terms, prefix)
        terms, dfs = field.terms, field.dfs
        while i < len(terms) and terms[i].startswith(prefix):
            yield terms[i], dfs[i]
            i += 1

    def facets(self) -> dict[tuple[str, str], int]:
        """(facet, value) -> the bitset of the documents that have it."""
        if self._facets is None:
            self._facets = {
                (facet, value): int.from_bytes(self._data[at : at + length], "little")
                for facet, value, at, length in self._facet_specs
            }
        return self._facets

    def newest(self) -> list[tuple[float, int]]:
        """(time stamp, document number) for every document, newest first."""
        if self._newest is None:
            if self._newest_spec is None:
                return []
            order_at, stamps_at, n = self._newest_spec
            self._newest = list(
                zip(
                    _array(self._data, "d", stamps_at, n),
                    _array(self._data, "I", order_at, n),
                    strict=True,
                )
            )
        return self._newest
