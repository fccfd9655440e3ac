"""Line diffs between two texts, as rows a template can show. No Flask imports."""

from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "add", "del", "gap"
    old_no: int | None
    new_no: int | None
    text: str


@dataclass(frozen=True)
class Diff:
    lines: list[DiffLine]
    added: int
    removed: int

    @property
    def is_empty(self) -> bool:
        return self.added == 0 and self.removed == 0


def line_diff(old: str, new: str, *, context: int = 3) -> Diff:
    """Lines added and removed from `old` to `new`, with `context` unchanged lines around."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    lines: list[DiffLine] = []
    added = removed = 0
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)
                ]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("del", i + 1, None, a[i]) for i in range(i1, i2)]
                removed += i2 - i1
            if tag in ("replace", "insert"):
                lines += [DiffLine("add", None, j + 1, b[j]) for j in range(j1, j2)]
                added += j2 - j1
    return Diff(lines, added, removed)
