"""The learned edge refiner at use: onnxruntime on tiles of the uncertain band only.

The coarse alpha (the segmentation model's map, cleaned, at the refiner's working resolution)
is decided everywhere except in a band around its outline. The band is covered by a grid of
``tile`` x ``tile`` cells; each cell that touches it is run with ``margin`` pixels of context
on every side, in batches, and only the cell's own pixels are kept. The cost therefore grows
with the outline's length, not with the photo's area.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import cv2
import numpy as np

from skucut.refine.refinercfg import REFINER_METADATA_KEY, RefinerCfg

DEFAULT_REFINER = "skucut-refiner-v2"
BATCH = 16  # tiles per onnxruntime call: large enough to amortise the call, small in memory


def uncertain_band(coarse: np.ndarray, radius: int, low: float, high: float) -> np.ndarray:
    """Where the refiner acts: within ``radius`` of the coarse outline (alpha 0.5), where the
    coarse alpha is undecided (between ``low`` and ``high``) or the outline runs.

    Only near the outline: far from it a model that is unsure over a wide region (a person
    behind the product, a cluttered scene) is wrong about *what* is there, which edges at
    full resolution cannot fix; measured on grabcut-dev, refining those regions too cost
    0.09 boundary F1."""
    solid = (coarse > 0.5).astype(np.uint8)
    size = 2 * radius + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    near = cv2.dilate(solid, kernel) != cv2.erode(solid, kernel)
    unsure = (coarse > low) & (coarse < high)
    return near & (unsure | (cv2.dilate(unsure.astype(np.uint8), kernel) > 0))


def read_refiner_cfg(session, path: str | Path) -> RefinerCfg:
    from skucut.errors import InvalidModel

    meta = session.get_modelmeta().custom_metadata_map
    if REFINER_METADATA_KEY not in meta:
        raise InvalidModel(f"{Path(path).name} has no {REFINER_METADATA_KEY}: not an edge refiner")
    return RefinerCfg.from_json(meta[REFINER_METADATA_KEY])


class EdgeRefinerRunner:
    """One onnxruntime session of a refiner; ``refine`` is safe to call from several threads."""

    def __init__(self, path: str | Path, threads: int = 0, **overrides):
        """``overrides``: RefinerCfg fields to run with instead of the file's (tile, margin,
        band: the speed/quality trade-offs a benchmark explores)."""
        from skucut.runtime.session import create_session

        self.path = Path(path)
        self.session = create_session(path, threads=threads)
        self.cfg = dataclasses.replace(read_refiner_cfg(self.session, path), **overrides)
        if (self.cfg.tile + 2 * self.cfg.margin) % self.cfg.stride:
            raise ValueError(f"tile + 2 x margin must be a multiple of {self.cfg.stride}")
        side = self.cfg.tile + 2 * self.cfg.margin
        self.session.run(None, {"x": np.zeros((1, 4, side, side), np.float32)})  # warm-up
        self.last_tiles = 0  # tiles the last call ran (for benchmarks and tests)

    def refine(self, rgb: np.ndarray, coarse: np.ndarray) -> np.ndarray:
        """RGB uint8 HxWx3 and coarse alpha float32 HxW in [0, 1] -> alpha float32 HxW.

        Outside the uncertain band the coarse alpha is decided (0 or 1); inside it the
        refiner's alpha is used."""
        cfg = self.cfg
        height, width = coarse.shape
        band = uncertain_band(coarse, cfg.band, cfg.low, cfg.high)
        out = (coarse > 0.5).astype(np.float32)
        tile, margin = cfg.tile, cfg.margin
        rows, cols = -(-height // tile), -(-width // tile)
        grid = np.zeros((rows * tile, cols * tile), bool)
        grid[:height, :width] = band
        cells = np.argwhere(grid.reshape(rows, tile, cols, tile).any(axis=(1, 3)))
        self.last_tiles = len(cells)
        if not len(cells):
            return out
        # Context beyond the photo's edge is the photo mirrored, as a convolution would pad.
        pad = ((margin, rows * tile - height + margin), (margin, cols * tile - width + margin))
        rgb_p = np.pad(rgb, (*pad, (0, 0)), mode="reflect")
        coarse_p = np.pad(coarse.astype(np.float32), pad, mode="edge")
        side = tile + 2 * margin
        refined = np.zeros_like(grid, dtype=np.float32)
        for start in range(0, len(cells), BATCH):
            chunk = cells[start : start + BATCH]
            x = np.empty((len(chunk), 4, side, side), np.float32)
            for i, (r, c) in enumerate(chunk):
                y0, x0 = r * tile, c * tile
                window = rgb_p[y0 : y0 + side, x0 : x0 + side]
                x[i, :3] = window.transpose(2, 0, 1)
                x[i, 3] = coarse_p[y0 : y0 + side, x0 : x0 + side]
            x[:, :3] *= 2.0 / 255.0
            x[:, :3] -= 1.0
            alpha = self.session.run(None, {"x": x})[0][:, 0]
            for i, (r, c) in enumerate(chunk):
                inner = alpha[i, margin : margin + tile, margin : margin + tile]
                refined[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile] = inner
        out[band] = refined[:height, :width][band]
        return out


_RUNNERS: dict[Path, EdgeRefinerRunner] = {}
_LOCK = threading.Lock()


def load_refiner(name: str | None = None, threads: int = 0) -> EdgeRefinerRunner:
    """The shipped refiner (or a .onnx path), one session per process."""
    from skucut.catalog import resolve_model

    path = resolve_model(name or DEFAULT_REFINER, task="edge-refinement").resolve()
    with _LOCK:
        if path not in _RUNNERS:
            _RUNNERS[path] = EdgeRefinerRunner(path, threads=threads)
        return _RUNNERS[path]
