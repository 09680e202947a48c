"""decode -> segment -> encode. Orchestration only; each step lives in its own module."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skucut.catalog import resolve_model
from skucut.io import DEFAULT_MAX_PIXELS, decode_image, encode_cutout, encode_mask
from skucut.io.encode import FORMATS, parse_color
from skucut.runtime import Segmenter


@dataclass(frozen=True)
class RemoveOptions:
    model: str | None = None  # name or .onnx path; None = the default model
    format: str = "png"  # png | webp | jpg
    bg_color: tuple[int, int, int] | None = None  # flatten onto this colour
    mask: bool = False  # write only the alpha as a single-channel PNG
    max_pixels: int = DEFAULT_MAX_PIXELS

    def __post_init__(self) -> None:
        fmt = self.format.lower().replace("jpeg", "jpg")
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}; choose one of {', '.join(FORMATS)}")
        object.__setattr__(self, "format", fmt)
        object.__setattr__(self, "bg_color", parse_color(self.bg_color))

    @property
    def extension(self) -> str:
        return "png" if self.mask else self.format


_SEGMENTERS: dict[Path, Segmenter] = {}
_LOCK = threading.Lock()


def load_segmenter(model: str | None = None, threads: int = 0) -> Segmenter:
    """One session per model file per process: weights are never reloaded per image."""
    path = resolve_model(model).resolve()
    with _LOCK:
        if path not in _SEGMENTERS:
            _SEGMENTERS[path] = Segmenter(path, threads=threads)
        return _SEGMENTERS[path]


def cut(rgb: np.ndarray, alpha_in: np.ndarray | None, segmenter: Segmenter) -> np.ndarray:
    """Predicted alpha (uint8), never more opaque than the image's own alpha."""
    alpha = np.round(segmenter.predict(rgb) * 255.0).astype(np.uint8)
    if alpha_in is not None:
        alpha = np.minimum(alpha, alpha_in)
    return alpha


def remove_bytes(data: bytes | str | Path, options: RemoveOptions) -> bytes:
    """Image bytes (or a path) in, encoded result out."""
    decoded = decode_image(data, options.max_pixels)
    alpha = cut(decoded.rgb, decoded.alpha, load_segmenter(options.model))
    if options.mask:
        return encode_mask(alpha)
    return encode_cutout(decoded.rgb, alpha, options.format, options.bg_color)
