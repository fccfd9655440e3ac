"""Parsing git's machine-readable output (`diff-tree -z --raw`). No Flask imports."""

from __future__ import annotations

ZERO = "0" * 40


def parse_raw_diff(out: str) -> dict[str, tuple[str, str] | None]:
    """`git diff-tree -r -z --no-renames A B` output as path -> (new mode, new blob),
    None for a deleted path."""
    changes: dict[str, tuple[str, str] | None] = {}
    fields = out.split("\0")
    i = 0
    while i < len(fields) - 1:
        meta = fields[i]
        if not meta.startswith(":"):
            i += 1
            continue
        _old_mode, new_mode, _old_sha, new_sha, status = meta[1:].split()
        changes[fields[i + 1]] = None if status.startswith("D") else (new_mode, new_sha)
        i += 2
    return changes
