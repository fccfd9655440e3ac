"""Merging: three-way merges of page texts, and of whole commits from upstream.

No Flask imports.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from ..errors import N_
from ..errors import StorageError
from .objects import BLOB_MODE
from .objects import Objects
from .parse import parse_raw_diff
from .runner import Git


@dataclass(frozen=True)
class MergeResult:
    head: str | None
    how: str  # "up to date", "fast-forward" or "merged"
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (path, kept as / why)


def merge3(base: str, ours: str, theirs: str) -> tuple[str, bool]:
    """Three-way merge of texts with `git merge-file`; returns (text, is_clean)."""
    with tempfile.TemporaryDirectory(prefix="wiki-merge-") as tmp:
        paths = []
        for label, text in (("current", ours), ("base", base), ("yours", theirs)):
            p = Path(tmp) / label
            p.write_bytes(text.encode("utf-8"))
            paths.append(str(p))
        proc = Git().run("merge-file", "-p", "-L", "current", "-L", "base", "-L", "yours", *paths)
    if proc.returncode < 0 or proc.returncode > 127:
        raise StorageError(N_("The three-way merge failed to run."))
    return proc.stdout.decode("utf-8", "replace"), proc.returncode == 0


def merge_changes(
    git: Git, objects: Objects, base: str | None, head: str, theirs: str, conflict_suffix: str
) -> tuple[dict[str, tuple[int, bytes] | None], list[tuple[str, str]]]:
    """What to change on `head` to bring in commit `theirs` (their common ancestor `base`,
    None for unrelated histories): path -> entry or None, and the conflicts.

    Pages both sides changed are merged line by line; where that fails, or one side
    deleted what the other changed, both versions are kept: ours under its name, theirs
    beside it with `conflict_suffix` (and a changed page wins over a deletion).
    """
    empty = objects.empty_tree().hex()
    ours_changed = _raw_diff(git, base or empty, head)
    theirs_changed = _raw_diff(git, base or empty, theirs)
    changes: dict[str, tuple[int, bytes] | None] = {}
    conflicts: list[tuple[str, str]] = []
    for path, their_value in theirs_changed.items():
        if path not in ours_changed:
            changes[path] = _entry(their_value)
            continue
        our_value = ours_changed[path]
        if our_value == their_value:
            continue
        if our_value is None or their_value is None:
            changes[path] = _entry(their_value if our_value is None else our_value)
            conflicts.append((path, "changed on one side, deleted on the other"))
            continue
        if path.endswith(".md"):
            base_text = (objects.text_at(base, path) if base else None) or ""
            merged, clean = merge3(
                base_text,
                objects.text(bytes.fromhex(our_value[1])),
                objects.text(bytes.fromhex(their_value[1])),
            )
            if clean:
                changes[path] = (BLOB_MODE, objects.store(b"blob", merged.encode("utf-8")))
                continue
        stem, dot, ext = path.rpartition(".")
        copy = (
            f"{stem} {conflict_suffix}.{ext}"
            if dot and "/" not in ext
            else f"{path} {conflict_suffix}"
        )
        changes[copy] = _entry(their_value)
        conflicts.append((path, copy))
    return changes, conflicts


def _raw_diff(git: Git, old: str, new: str) -> dict[str, tuple[str, str] | None]:
    return parse_raw_diff(git.text("diff-tree", "-r", "-z", "--no-renames", old, new))


def _entry(value: tuple[str, str] | None) -> tuple[int, bytes] | None:
    return None if value is None else (int(value[0], 8), bytes.fromhex(value[1]))
