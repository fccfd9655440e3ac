"""The text inside files, for the search index: PDF (pypdf), DOCX (python-docx), and the
zipped XML of ODT, ODS, ODP, PPTX and XLSX; plain text as it is.

Extraction runs in a child process (`python -m wiki.files.extract`) with a time limit
and a memory limit: some files make extractors loop or exhaust memory, and neither may
take a worker with them. A file that cannot be read is indexed by its name only.
No Flask imports.
"""

from __future__ import annotations

import html
import io
import re
import subprocess
import sys
import zipfile
from pathlib import PurePosixPath

EXTRACTABLE = {".pdf", ".docx", ".odt", ".ods", ".odp", ".pptx", ".xlsx", ".txt", ".csv"}
TIME_LIMIT = 30.0  # seconds for one file
MEMORY_LIMIT = 768 << 20  # bytes of address space for the child
MAX_TEXT = 2 << 20  # characters kept of one file's text
_ZIPPED_XML = {
    ".odt": ("content.xml",),
    ".ods": ("content.xml",),
    ".odp": ("content.xml",),
    ".pptx": ("ppt/slides/",),
    ".xlsx": ("xl/sharedStrings.xml",),
}
_TAG = re.compile(rb"<[^>]+>")


def extractable(path: str) -> bool:
    return PurePosixPath(path).suffix.lower() in EXTRACTABLE


def text_of(path: str, data: bytes) -> str | None:
    """The words of a file, read in a limited child process; None when they cannot be
    read (the file is then found by its name)."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in (".txt", ".csv"):
        return data[:MAX_TEXT].decode("utf-8", "replace")
    if suffix not in EXTRACTABLE:
        return None
    out = run_limited("wiki.files.extract", suffix, data, TIME_LIMIT)
    return None if out is None else out.decode("utf-8", "replace")[:MAX_TEXT]


def run_limited(
    module: str, argument: str, data: bytes, seconds: float, *, timeouts: bool = False
) -> bytes | None:
    """`python -m module argument` with `data` on its input, under a time and a memory
    limit: its output, or None when it failed or ran out of either (with `timeouts`, a
    child that ran out of time raises subprocess.TimeoutExpired instead)."""
    try:
        proc = subprocess.run(
            [sys.executable, "-P", "-m", module, argument],
            input=data,
            capture_output=True,
            timeout=seconds,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired:
        if timeouts:
            raise
        return None
    return proc.stdout if proc.returncode == 0 else None


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def extract(suffix: str, data: bytes) -> str:
    """In the child: the text of a file of this kind."""
    if suffix == ".pdf":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    if suffix == ".docx":
        from docx import Document

        document = Document(io.BytesIO(data))
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.extend(cell.text for cell in row.cells)
        return "\n".join(parts)
    members = _ZIPPED_XML.get(suffix)
    if members is None:
        return ""
    texts = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in sorted(archive.namelist()):
            if any(name == m or (m.endswith("/") and name.startswith(m)) for m in members):
                xml = archive.read(name)
                texts.append(html.unescape(_TAG.sub(b" ", xml).decode("utf-8", "replace")))
    return re.sub(r"[ \t]+", " ", "\n".join(texts))


if __name__ == "__main__":
    sys.stdout.write(extract(sys.argv[1], sys.stdin.buffer.read()))
