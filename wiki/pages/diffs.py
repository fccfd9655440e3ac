"""Line diffs between two texts, as rows a template can show. No Flask imports.

A diff is a list of lines (unchanged, removed, added, or a gap standing for a long
unchanged stretch that is not shown). A removed line and the added line that replaced
it carry their words split into pieces, the changed ones marked, so that a reader sees
which words changed inside a long paragraph line. `side_by_side` pairs the same lines
into rows of two columns. The pieces are plain text: templates escape them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from dataclasses import field

# words, runs of spaces, and single other characters: a changed comma stays a comma
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")
# lines less alike than this are shown as removed and added whole, not word by word
_ALIKE = 0.4
# lines longer than this are not split into words (the matcher is quadratic)
_MAX_WORDS_LINE = 5000


@dataclass(frozen=True)
class Piece:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "add", "del", "gap"
    old_no: int | None
    new_no: int | None
    text: str
    # the words of a changed line, the changed ones marked; () shows the line whole
    pieces: tuple[Piece, ...] = field(default=())
    skipped: int = 0  # for a gap: how many unchanged lines it stands for

    @property
    def parts(self) -> tuple[Piece, ...]:
        """What to draw: the pieces, or the whole line as one unmarked piece."""
        return self.pieces or (Piece(self.text, False),)


@dataclass(frozen=True)
class Row:
    """One row of a side-by-side diff: the old line on the left, the new on the right
    (None: nothing on that side)."""

    kind: str  # "same", "change", "gap"
    old: DiffLine | None
    new: DiffLine | None


@dataclass(frozen=True)
class Diff:
    lines: list[DiffLine]
    added: int
    removed: int

    @property
    def is_empty(self) -> bool:
        return self.added == 0 and self.removed == 0


def line_diff(old: str, new: str, *, context: int | None = 3) -> Diff:
    """Lines added and removed from `old` to `new`, with `context` unchanged lines around
    each change; longer unchanged stretches become gaps. `context=None` keeps every line."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if context is None:
        groups = [matcher.get_opcodes()] if a or b else []
    else:
        groups = list(matcher.get_grouped_opcodes(context))
    lines: list[DiffLine] = []
    added = removed = 0
    shown_to = 0  # old lines before this index are shown or counted in a gap
    for group in groups:
        start = group[0][1]
        if start > shown_to:
            lines.append(DiffLine("gap", None, None, "", skipped=start - shown_to))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("same", i1 + k + 1, j1 + k + 1, a[i1 + k]) for k in range(i2 - i1)
                ]
            else:
                lines += _changed(a, b, i1, i2, j1, j2)
                removed += i2 - i1
                added += j2 - j1
        shown_to = group[-1][2]
    if groups and shown_to < len(a):
        lines.append(DiffLine("gap", None, None, "", skipped=len(a) - shown_to))
    return Diff(lines, added, removed)


def _changed(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[DiffLine]:
    """The removed lines, then the added ones; a removed line and the added line in the
    same place are split into words when they are alike enough to be one line edited."""
    old_pieces: dict[int, tuple[Piece, ...]] = {}
    new_pieces: dict[int, tuple[Piece, ...]] = {}
    for k in range(min(i2 - i1, j2 - j1)):
        split = word_diff(a[i1 + k], b[j1 + k])
        if split is not None:
            old_pieces[i1 + k], new_pieces[j1 + k] = split
    removed = [DiffLine("del", i + 1, None, a[i], old_pieces.get(i, ())) for i in range(i1, i2)]
    added = [DiffLine("add", None, j + 1, b[j], new_pieces.get(j, ())) for j in range(j1, j2)]
    return removed + added


def word_diff(old: str, new: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]] | None:
    """The two lines as pieces, the words removed from `old` and those added in `new`
    marked changed; None when they have too little in common (or are too long) for
    that to help: they are then shown whole."""
    if len(old) + len(new) > _MAX_WORDS_LINE:
        return None
    x, y = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, x, y, autojunk=False)
    if matcher.ratio() < _ALIKE:
        return None
    left: list[Piece] = []
    right: list[Piece] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        _append(left, "".join(x[i1:i2]), not same)
        _append(right, "".join(y[j1:j2]), not same)
    return _bridged(left), _bridged(right)


def _append(pieces: list[Piece], text: str, changed: bool) -> None:
    """Add a piece, joined to the previous one when both are alike (fewer, longer marks)."""
    if not text:
        return
    if pieces and pieces[-1].changed == changed:
        pieces[-1] = Piece(pieces[-1].text + text, changed)
    else:
        pieces.append(Piece(text, changed))


def _bridged(pieces: list[Piece]) -> tuple[Piece, ...]:
    """The pieces with a mere space between two changes counted in the change: "met in
    Zagreb" changed reads as one mark, not three."""
    out: list[Piece] = []
    for k, piece in enumerate(pieces):
        between = 0 < k < len(pieces) - 1 and pieces[k - 1].changed and pieces[k + 1].changed
        _append(out, piece.text, piece.changed or (between and piece.text.isspace()))
    return tuple(out)


def side_by_side(diff: Diff) -> list[Row]:
    """The diff's lines as rows of two columns: unchanged lines on both sides, each run
    of removed lines beside the run of added lines that replaced it."""
    rows: list[Row] = []
    removed: list[DiffLine] = []
    added: list[DiffLine] = []

    def flush() -> None:
        for k in range(max(len(removed), len(added))):
            rows.append(
                Row(
                    "change",
                    removed[k] if k < len(removed) else None,
                    added[k] if k < len(added) else None,
                )
            )
        removed.clear()
        added.clear()

    for line in diff.lines:
        if line.kind == "del":
            if added:  # a removal after additions starts a new change
                flush()
            removed.append(line)
        elif line.kind == "add":
            added.append(line)
        else:
            flush()
            rows.append(Row(line.kind, line, line))
    flush()
    return rows
