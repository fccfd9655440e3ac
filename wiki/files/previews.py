"""Downscaled previews of large images: a page shows a WebP at most `WIDTH` pixels wide
instead of a 12-megapixel photo; the file itself stays one click away.

Pillow decodes in a child process (`python -m wiki.files.previews`) under the time and
memory limits of text extraction (wiki/files/extract.py): an image is untrusted input.
Previews are kept on disk by the blob's id and width (a blob never changes), so each is
made once. No Flask imports.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .extract import run_limited
from .images import dimensions

WIDTH = 1600  # pixels: sharp on a high-density screen at the page's reading width
MIN_BYTES = 1 << 20  # an image this large, or wider than WIDTH, gets a preview
KINDS = {".png", ".jpg", ".jpeg", ".webp", ".gif"}
TIME_LIMIT = 20.0
MAX_PIXELS = 120_000_000  # larger images are refused by the child (decompression bombs)
# the only decoders the child may use: never PostScript (Ghostscript), PDF, or the rest
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")


def wants_preview(path: str, size: int, header: bytes) -> bool:
    """Whether a page should show a preview of this image instead of the image."""
    if Path(path).suffix.lower() not in KINDS:
        return False
    found = dimensions(header)
    if found is None:
        return False
    if header.startswith(b"GIF8") and b"NETSCAPE2.0" in header:
        return False  # an animation stays an animation
    return found[0] > WIDTH or size >= MIN_BYTES


class Previews:
    """Previews on disk, one file per (blob, width)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()
        self._making: dict[str, threading.Lock] = {}

    def get(self, blob: str, read) -> bytes | None:
        """The preview of the image in `blob` (`read()` gives its bytes when it must be
        made), or None when it cannot be made (the image is then served as it is). One
        child makes a preview at a time per blob in this process; the others wait."""
        if len(blob) != 40 or not all(c in "0123456789abcdef" for c in blob):
            return None
        target = self.folder / blob[:2] / f"{blob[2:]}-{WIDTH}.webp"
        with self._lock:
            making = self._making.setdefault(blob, threading.Lock())
        with making:
            try:
                return self._make(target, read)
            finally:
                with self._lock:
                    self._making.pop(blob, None)

    def _make(self, target: Path, read) -> bytes | None:
        try:
            return target.read_bytes()
        except FileNotFoundError:
            pass
        failed = target.with_suffix(".failed")
        if failed.exists():
            return None
        try:
            made = run_limited("wiki.files.previews", str(WIDTH), read(), TIME_LIMIT, timeouts=True)
        except subprocess.TimeoutExpired:
            return None  # a busy machine, maybe: tried again next time
        target.parent.mkdir(parents=True, exist_ok=True)
        if not made:
            failed.touch()  # the image cannot be decoded: never tried again
            return None
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(made)
        os.replace(temporary, target)  # two workers making it at once: either one wins
        return made


def downscale(data: bytes, width: int) -> bytes:
    """In the child: the image at most `width` pixels wide, upright, as WebP."""
    from PIL import Image
    from PIL import ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # beyond it Pillow raises instead of decoding
    with Image.open(io.BytesIO(data), formats=FORMATS) as image:
        if image.width * image.height > MAX_PIXELS:
            raise ValueError("image too large")
        if image.format == "JPEG":
            image.draft("RGB", (width, width * image.height // max(1, image.width)))
        image = ImageOps.exif_transpose(image)
        if image.mode not in ("RGB", "RGBA"):
            alpha = image.mode in ("LA", "PA") or "transparency" in image.info
            image = image.convert("RGBA" if alpha else "RGB")
        if image.width > width:
            height = max(1, round(image.height * width / image.width))
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "WEBP", quality=82, method=4)
        return out.getvalue()


if __name__ == "__main__":
    sys.stdout.buffer.write(downscale(sys.stdin.buffer.read(), int(sys.argv[1])))
