"""Every use of Whoosh's private API, in one place.

Imports whoosh (as only the search package may). No Flask imports. Whoosh
2.7 has no public way to count an index's segments or to read a posting list
a block at a time; these functions do it through its internals and fall back
to the public API where the internals are not there (another Whoosh, another
posting format), so an upgrade breaks speed here, not results.
"""

from __future__ import annotations

_BLOCK_READER = ("_read_ids", "_read_weights", "_next_block")


def segment_count(ix) -> int | None:
    """How many segments the index has (None: unknown)."""
    try:
        return len(ix._segments())
    except Exception:
        return None


def read_postings(matcher, *, with_values: bool) -> tuple[list[int], list[float], list | None]:
    """A posting list's document ids, weights and (when asked) values, read a block
    (up to 128 postings) at a time from Whoosh's own files."""
    ids: list[int] = []
    weights: list[float] = []
    values: list[bytes] | None = [] if with_values else None
    if all(hasattr(matcher, name) for name in _BLOCK_READER):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            if values is not None:
                matcher._read_values()
                values.extend(matcher._values)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if values is not None:
                values.append(matcher.value())
            matcher.next()
    return ids, weights, values
