"""skucut.io.png: the PNG writer's output decodes, by Pillow and by libpng, to the very pixels
it was given, whole or deflated in bands on threads, also in a forked worker."""

from __future__ import annotations

import io
import multiprocessing
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from skucut.io import png
from skucut.io.png import _adler32_combine, encode_png

SHAPES = [(1, 1), (3, 5, 3), (7, 9, 4), (129, 257, 4), (64, 64), (300, 200, 4)]


def _decoded(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    by_pillow = np.asarray(Image.open(io.BytesIO(data)))
    by_libpng = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if by_libpng.ndim == 3:
        code = cv2.COLOR_BGRA2RGBA if by_libpng.shape[2] == 4 else cv2.COLOR_BGR2RGB
        by_libpng = cv2.cvtColor(by_libpng, code)
    return by_pillow, by_libpng


@pytest.mark.parametrize("band_bytes", [4 << 20, 1000, 97])  # one band, several, one row each
def test_pixels_come_back_exactly(monkeypatch, band_bytes):
    monkeypatch.setattr(png, "BAND_BYTES", band_bytes)
    rng = np.random.default_rng(band_bytes)
    for shape in SHAPES:
        pixels = rng.integers(0, 256, shape, dtype=np.uint8)
        pixels[: shape[0] // 2] = 0  # flat rows too, as a cutout's transparent backdrop
        for decoded in _decoded(encode_png(pixels)):
            assert np.array_equal(decoded, pixels), shape


def test_band_checksums_combine_into_the_whole_ones():
    rng = np.random.default_rng(1)
    for _ in range(100):
        a, b = rng.bytes(int(rng.integers(0, 70000))), rng.bytes(int(rng.integers(0, 70000)))
        assert _adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def test_what_it_refuses():
    for bad in (np.zeros((4, 4), np.float32), np.zeros((4, 4, 2), np.uint8), np.zeros((0, 4))):
        with pytest.raises(ValueError):
            encode_png(bad)


def _encode_in_child(queue) -> None:
    pixels = np.arange(300 * 200 * 4, dtype=np.uint32).astype(np.uint8).reshape(300, 200, 4)
    queue.put(encode_png(pixels))


def test_a_forked_worker_gets_its_own_threads(monkeypatch):
    monkeypatch.setattr(png, "BAND_BYTES", 1000)  # several bands: the thread pool is used
    pixels = np.arange(300 * 200 * 4, dtype=np.uint32).astype(np.uint8).reshape(300, 200, 4)
    encode_png(pixels)  # the parent's pool has threads now; they do not survive a fork
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_encode_in_child, args=(queue,))
    child.start()
    data = queue.get(timeout=60)
    child.join(10)
    assert np.array_equal(_decoded(data)[0], pixels)
