"""How a file of the repository is served: its type from its content and name, and
whether a browser may show it inline. Pure functions; no Flask, no git.

Only kinds a browser shows without running anything come inline: raster images whose
bytes are the format their name says, PDF, plain text, audio and video. Everything
else, SVG, HTML and XHTML included, and anything whose first bytes look like markup,
is sent as a download (and sandboxed by the view), so no file runs script in the
wiki's origin.
"""

from __future__ import annotations

import mimetypes
import re

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_MARKUP = re.compile(
    rb"^\s*(<\?xml|<!doctype|<html|<head|<body|<script|<svg|<iframe|<!--|<meta|<div|<a\s|<img)",
    re.IGNORECASE,
)
INLINE_PREFIXES = ("audio/", "video/")
DOWNLOAD = "application/octet-stream"


def kind_of(path: str, data: bytes) -> tuple[str, bool]:
    """(content type, whether it may be shown inline) for a file's name and bytes."""
    head = data[:512]
    guessed = mimetypes.guess_type(path, strict=False)[0] or DOWNLOAD
    for magic, mimetype in _MAGIC:
        if head.startswith(magic):
            return mimetype, True  # the bytes say what it is, whatever the name says
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp", True
    markup = ("image/svg+xml", "text/html", "application/xhtml+xml", "text/xml")
    if guessed in markup:
        return guessed, False
    if _MARKUP.match(head):
        return DOWNLOAD, False  # markup under another name (a .png that is HTML)
    if guessed.startswith("image/"):
        return DOWNLOAD, False  # an image that is not one of the formats checked above
    if guessed.startswith(INLINE_PREFIXES):
        return guessed, True
    if guessed == "text/plain" or (guessed == DOWNLOAD and _is_text(data)):
        return "text/plain; charset=utf-8", True
    return guessed, False


def _is_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
