"""Image sizes read from the first bytes, for width and height on pages."""

import base64
import struct

from wiki.files.images import dimensions

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_png_gif_jpeg_and_webp_sizes():
    assert dimensions(PNG) == (1, 1)
    assert dimensions(b"GIF89a" + struct.pack("<HH", 320, 200) + b"\0" * 8) == (320, 200)
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + b"\0" * 9
    sof0 = b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 480, 640) + b"\0" * 10
    assert dimensions(b"\xff\xd8" + app0 + sof0) == (640, 480)
    vp8x = (
        b"RIFF"
        + b"\0" * 4
        + b"WEBPVP8X"
        + b"\0" * 8
        + (799).to_bytes(3, "little")
        + (599).to_bytes(3, "little")
    )
    assert dimensions(vp8x) == (800, 600)


def test_other_or_damaged_bytes_give_none():
    assert dimensions(b"<svg/>") is None
    assert dimensions(b"\xff\xd8\xff") is None
    assert dimensions(PNG[:14]) is None
