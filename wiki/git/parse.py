"""The one place git's output is parsed: machine-readable listings (`-z`) and raw tree
objects. Pure functions on bytes and strings; no Flask imports."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime

from ..model import Author
from ..model import Change
from ..model import Revision

ZERO = "0" * 40
# `git log` records: commit fields separated by \x1f, commits by \x1e
LOG_FORMAT = "--format=%x1e%H%x1f%an%x1f%ae%x1f%at%x1f%B%x1f"


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


def patch_files(files: dict[str, str], raw_diff: str) -> dict[str, str]:
    """A file map (path -> blob sha) changed by a raw diff (`parse_raw_diff`'s input);
    submodules are not files."""
    result = dict(files)
    for path, value in parse_raw_diff(raw_diff).items():
        if value is None or value[0].startswith("16"):
            result.pop(path, None)
        else:
            result[path] = value[1]
    return result


def parse_ls_tree(out: str) -> dict[str, str]:
    """`git ls-tree -r -z` output as path -> blob sha (files only)."""
    result: dict[str, str] = {}
    for record in out.split("\0"):
        if not record:
            continue
        meta, _, path = record.partition("\t")
        _mode, kind, sha = meta.split(" ")
        if kind == "blob":
            result[path] = sha
    return result


def parse_tree(data: bytes) -> dict[bytes, tuple[int, bytes]]:
    """A raw tree object as name -> (mode, binary sha). (GitPython's
    `tree_entries_from_data` decodes every name and takes three times as long.)"""
    entries: dict[bytes, tuple[int, bytes]] = {}
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        entries[data[space + 1 : nul]] = (int(data[pos:space], 8), data[nul + 1 : nul + 21])
        pos = nul + 21
    return entries


def log_records(chunks: Iterable[bytes]) -> Iterator[tuple[Revision, list[Change]]]:
    """`git log -z --name-status LOG_FORMAT` output, read in chunks, as
    (Revision, [Change]) per commit."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *records, buffer = buffer.split(b"\x1e")
        for record in records:
            if record:
                yield parse_log_record(record)
    if buffer:
        yield parse_log_record(buffer)


def parse_log_record(record: bytes) -> tuple[Revision, list[Change]]:
    sha, name, email, ts, message, rest = record.decode("utf-8", "replace").split("\x1f", 5)
    rev = Revision(
        id=sha,
        author=Author(name, email),
        date=datetime.fromtimestamp(int(ts), UTC),
        message=message.strip(),
    )
    fields = rest.lstrip("\n\0").split("\0")
    changes: list[Change] = []
    i = 0
    while i < len(fields):
        status = fields[i].strip()
        if not status:
            i += 1
            continue
        if status[0] in "RC":
            old, new = fields[i + 1], fields[i + 2]
            # a copy is an addition; a rename keeps where it came from
            changes.append(Change("R", new, old) if status[0] == "R" else Change("A", new))
            i += 3
        else:
            changes.append(Change(status[0], fields[i + 1]))
            i += 2
    return rev, changes
