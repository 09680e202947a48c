"""Hostile image files for fuzz tests and bench/fuzz.py: sample ``k`` is a pure function of k.

Kinds: valid small images (they must work), truncations and byte flips of valid files in
every accepted format, headers that declare huge sizes, and files of other types.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")
KINDS = ("valid", "truncated", "flipped", "huge", "other")


def _valid(rng: np.random.Generator, fmt: str) -> bytes:
    size = (int(rng.integers(8, 96)), int(rng.integers(8, 96)))
    mode = rng.choice(["RGB", "RGBA", "L", "P"]) if fmt in ("PNG", "WEBP", "TIFF") else "RGB"
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    image = image.convert(str(mode))
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _huge(rng: np.random.Generator) -> bytes:
    """A well-formed header declaring tens of thousands of pixels a side, and little data."""
    width, height = (int(v) for v in rng.integers(20_000, 200_000, 2))
    kind = rng.integers(3)
    if kind == 0:
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        idat = zlib.compress(b"\x00" * 64)
        return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat)
    if kind == 1:  # logical screen, one image descriptor, a tiny LZW block
        size = struct.pack("<HH", min(width, 65535), min(height, 65535))
        return (
            b"GIF89a" + size + b"\x00\x00\x00," + b"\x00" * 4 + size + b"\x00\x02\x02\x44\x01\x00;"
        )
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 0, 0, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + header + b"\x00" * 64


def _other(rng: np.random.Generator) -> bytes:
    choices = [
        b"",
        b"%PDF-1.4\n1 0 obj << >> endobj\n",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",
        b"PK\x03\x04" + bytes(rng.integers(0, 256, 64, dtype=np.uint8)),
        b"<html><body>not an image</body></html>",
        bytes(rng.integers(0, 256, int(rng.integers(1, 4096)), dtype=np.uint8)),
        b"\xff\xd8\xff",  # a JPEG that ends after its magic
        b"\x89PNG\r\n\x1a\n",
    ]
    return choices[int(rng.integers(len(choices)))]


def fuzz_input(k: int) -> tuple[str, bytes, str]:
    """(file name, bytes, kind) of sample ``k``."""
    rng = np.random.default_rng([7, k])
    kind = KINDS[k % len(KINDS)]
    fmt = FORMATS[int(rng.integers(len(FORMATS)))]
    ext = {"JPEG": "jpg", "TIFF": "tif"}.get(fmt, fmt.lower())
    if kind == "huge":
        return f"f{k:05d}-huge.png", _huge(rng), kind
    if kind == "other":
        return f"f{k:05d}-other.{ext}", _other(rng), kind
    data = _valid(rng, fmt)
    if kind == "truncated":
        data = data[: int(rng.integers(0, len(data)))]
    elif kind == "flipped":
        raw = bytearray(data)
        for i in rng.integers(0, len(raw), int(rng.integers(1, 16))):
            raw[i] ^= 1 << int(rng.integers(8))
        data = bytes(raw)
    return f"f{k:05d}-{kind}.{ext}", data, kind
