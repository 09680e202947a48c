"""Run a super-resolution model: luma through the network in overlapping tiles, chroma bicubic.

Tiles overlap by more than the network's receptive radius, and only each tile's centre is
kept, so a tiled result equals the whole-image result (no seams) while memory stays bounded.
Cutouts: the colour under transparent pixels is first filled from the nearest product colours
(otherwise the upscaler would pull black or the old background into the edge), and alpha goes
through the same network as luma, so colour and alpha edges stay aligned.
"""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from skucut.catalog import resolve_model
from skucut.errors import InvalidModel
from skucut.runtime.session import create_session
from skucut.upscale.srcfg import SR_METADATA_KEY, SRCfg

TILE = 256  # input pixels per tile side
OVERLAP = 12  # > the receptive radius (5x5 conv, 3x3 convs: 2 + blocks + 1; bicubic: 2)


def upscale_model_name(scale: int) -> str:
    return f"skucut-sr-x{scale}-v1"


class Upscaler:
    def __init__(self, path: str | Path, threads: int = 0):
        self.session = create_session(path, threads=threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if SR_METADATA_KEY not in meta:
            raise InvalidModel(f"{Path(path).name} is not a super-resolution model")
        self.cfg = SRCfg.from_json(meta[SR_METADATA_KEY])
        self.scale = self.cfg.scale
        self._input = self.session.get_inputs()[0].name

    def _net(self, plane: np.ndarray) -> np.ndarray:
        """Bicubic upscale plus the network's correction (see skucut.models.sr)."""
        h, w = plane.shape
        base = cv2.resize(plane, (w * self.scale, h * self.scale), interpolation=cv2.INTER_CUBIC)
        return base + self.session.run(None, {self._input: plane[None, None]})[0][0, 0]

    def upscale_plane(self, plane: np.ndarray, tile: int = TILE) -> np.ndarray:
        """float32 HxW in [0, 1] -> float32 (sH)x(sW), clipped to [0, 1]."""
        plane = np.ascontiguousarray(plane, dtype=np.float32)
        h, w = plane.shape
        s = self.scale
        if h <= tile + 2 * OVERLAP and w <= tile + 2 * OVERLAP:
            return np.clip(self._net(plane), 0.0, 1.0)
        out = np.empty((h * s, w * s), np.float32)
        for y0 in range(0, h, tile):
            for x0 in range(0, w, tile):
                y1, x1 = min(y0 + tile, h), min(x0 + tile, w)
                py0, px0 = max(0, y0 - OVERLAP), max(0, x0 - OVERLAP)
                py1, px1 = min(h, y1 + OVERLAP), min(w, x1 + OVERLAP)
                result = self._net(np.ascontiguousarray(plane[py0:py1, px0:px1]))
                oy, ox = (y0 - py0) * s, (x0 - px0) * s
                out[y0 * s : y1 * s, x0 * s : x1 * s] = result[
                    oy : oy + (y1 - y0) * s, ox : ox + (x1 - x0) * s
                ]
        return np.clip(out, 0.0, 1.0, out=out)

    def upscale_rgb(self, rgb: np.ndarray) -> np.ndarray:
        """RGB uint8 -> RGB uint8 at ``scale`` x: network on luma, bicubic on chroma."""
        ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
        h, w = rgb.shape[:2]
        size = (w * self.scale, h * self.scale)
        luma = self.upscale_plane(ycrcb[..., 0].astype(np.float32) * (1 / 255))
        chroma = cv2.resize(ycrcb[..., 1:], size, interpolation=cv2.INTER_CUBIC)
        merged = np.dstack([cv2.convertScaleAbs(luma, alpha=255.0), chroma])
        return cv2.cvtColor(merged, cv2.COLOR_YCrCb2RGB)

    def upscale_cutout(self, rgb: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Straight-alpha cutout (RGB uint8, alpha uint8) -> both at ``scale`` x, no halo."""
        big_rgb = self.upscale_rgb(fill_transparent(rgb, alpha))
        plane = alpha.astype(np.float32) * (1 / 255)
        big_alpha = clamp_to_neighbours(self.upscale_plane(plane), plane)
        return big_rgb, cv2.convertScaleAbs(big_alpha, alpha=255.0)


def clamp_to_neighbours(big: np.ndarray, small: np.ndarray) -> np.ndarray:
    """``big`` (an enlargement of ``small``) kept within the range of the source pixels
    around each output pixel: an anti-ringing clamp.

    The bicubic base and the network's correction overshoot beside a sharp edge and put a
    little coverage where the source had none. Invisible at 2x, but a small product placed on
    a 2000 px canvas is enlarged 4x more by compose, and faint coverage, coloured with the
    product's own colours, shows as a grey smear around it. The clamp keeps edges as sharp as
    the network makes them."""
    kernel = np.ones((3, 3), np.uint8)
    size = (big.shape[1], big.shape[0])
    low = cv2.resize(cv2.erode(small, kernel), size, interpolation=cv2.INTER_LINEAR)
    high = cv2.resize(cv2.dilate(small, kernel), size, interpolation=cv2.INTER_LINEAR)
    return np.clip(big, low, high)


def _blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur; large sigmas run on a shrunk copy (the result is smooth anyway)."""
    factor = max(1, int(sigma // 4))
    if factor == 1:
        return cv2.GaussianBlur(x, (0, 0), sigma)
    h, w = x.shape[:2]
    small = cv2.resize(x, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def fill_transparent(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """RGB where alpha == 0 replaced by the nearby product colours (growing blur radii)."""
    known = (alpha > 0).astype(np.float32)
    if known.all() or not known.any():
        return rgb
    colour = rgb.astype(np.float32) * known[..., None]
    out = rgb.astype(np.float32)
    missing = known == 0
    for sigma in (2.0, 8.0, 32.0, 128.0, 512.0):
        weight = _blur(known, sigma)
        take = missing & (weight > 1e-3)
        if take.any():
            out[take] = _blur(colour, sigma)[take] / weight[take, None]
            missing &= ~take
        if not missing.any():
            break
    if missing.any():
        out[missing] = rgb[known > 0].mean(axis=0)
    return cv2.convertScaleAbs(out)


_UPSCALERS: dict[Path, Upscaler] = {}
_LOCK = threading.Lock()


def load_upscaler(model: str | int, threads: int = 0) -> Upscaler:
    """One session per SR model per process; ``model`` is a name, a path or a scale (2, 4)."""
    name = upscale_model_name(model) if isinstance(model, int) else model
    path = resolve_model(name, task="super-resolution").resolve()
    with _LOCK:
        if path not in _UPSCALERS:
            _UPSCALERS[path] = Upscaler(path, threads)
        return _UPSCALERS[path]
