"""Full-resolution alpha from a low-resolution prediction, plus clean-up and edge colours.

At a working resolution the uncertain band around the predicted outline is re-decided from the
image's colours and edges (``band.py``) and the mask is cleaned (``cleanup.py``); a guided
filter then carries the result to full resolution along the image's own edges (``guided.py``).
Modes trade speed for quality: ``quality`` (1024 px, 3 graph-cut iterations), ``fast`` (320 px,
1), ``guided`` (512 px, clean-up and the guided filter only: no graph cut, for throughput);
``none`` only upsamples the prediction bilinearly. ``learned`` cleans at 512 px, then a
trained network (``learned.py``) decides the band around the outline at full resolution (capped
at 2048 px; beyond that the guided filter lifts its result to the photo's size). The default
(``RemoveOptions.refine``) stays ``fast``: chosen on the dev pool and by eye, docs/refiner.md.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from skucut.refine.band import BAND_FRACTION, graphcut_band
from skucut.refine.cleanup import clean_mask
from skucut.refine.decontaminate import estimate_foreground
from skucut.refine.guided import apply_coefficients, guided_coefficients
from skucut.refine.learned import load_refiner
from skucut.stages import stage


class Mode(NamedTuple):
    side: int  # working resolution (longer side)
    iterations: int  # graph-cut iterations over the uncertain band
    learned: bool = False  # the band decided by the learned refiner instead
    band: float = BAND_FRACTION  # the graph cut's band half-width, a share of the long side


REFINE_MODES = {
    "learned": Mode(512, 0, True),
    "none": Mode(1024, 0),
    "guided": Mode(512, 0),
    # 320 px and one iteration cut as 512 px and two did on the dev pool (IoU and boundary F1
    # no more than 0.004 lower on any set, 0.009 higher on products-dev's) for a third of the
    # refine time: docs/refiner.md.
    "fast": Mode(320, 1),
    "quality": Mode(1024, 3),
}
GUIDED_RADIUS_AT_1024 = 2  # softens the graph cut's staircase into an image-aligned edge
GUIDED_EPS = 1e-3
LEARNED_MAX_SIDE = 2048  # the learned refiner's working resolution at most

__all__ = ["REFINE_MODES", "clean_mask", "estimate_foreground", "refine_alpha"]


def refine_alpha(
    rgb: np.ndarray, prob: np.ndarray, mode: str = "fast", cleanup: bool = True
) -> np.ndarray:
    """RGB uint8 (full size) + model probability (any size) -> alpha float32 at full size."""
    if mode not in REFINE_MODES:
        raise ValueError(f"unknown refine mode {mode!r}; choose one of {', '.join(REFINE_MODES)}")
    height, width = rgb.shape[:2]
    side, iterations, learned, band = REFINE_MODES[mode]
    scale = min(1.0, side / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    work = cv2.resize(prob.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    model_prob = work
    if iterations:
        work = graphcut_band(small_rgb, work, band, iterations)
    elif mode != "none":
        # A probability is a confidence, not an opacity: upsampled as it is, the background
        # would keep a faint haze. Cut at 0.5; the guided filter then softens only the outline.
        work = (work > 0.5).astype(np.float32)
    if learned:
        return _learned(rgb, prob, small_rgb, model_prob, cleanup)
    if cleanup:
        with stage("cleanup"):
            work = clean_mask(work, small_rgb, model_prob)
    if mode == "none":
        return np.clip(cv2.resize(work, (width, height), interpolation=cv2.INTER_LINEAR), 0, 1)
    radius = max(1, round(GUIDED_RADIUS_AT_1024 * max(size) / 1024))
    guide = small_rgb.astype(np.float32) * (1.0 / 255.0)
    a, b = guided_coefficients(guide, work, radius, GUIDED_EPS)
    return apply_coefficients(a, b, rgb)


def _learned(rgb, prob, small_rgb, small_prob, cleanup: bool) -> np.ndarray:
    """Clean-up decides the parts and holes at the working size; the refiner the outline."""
    height, width = rgb.shape[:2]
    scale = min(1.0, LEARNED_MAX_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    work_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    coarse = cv2.resize(prob.astype(np.float32), size, interpolation=cv2.INTER_LINEAR)
    if cleanup:
        binary = (small_prob > 0.5).astype(np.float32)
        with stage("cleanup"):
            change = clean_mask(binary, small_rgb, small_prob) - binary  # +1 filled, -1 dropped
        if change.any():
            change = cv2.resize(change, size, interpolation=cv2.INTER_LINEAR)
            coarse = np.clip(coarse + change, 0.0, 1.0, out=coarse)
    alpha = load_refiner().refine(work_rgb, coarse)
    if scale == 1.0:
        return alpha
    radius = max(1, round(GUIDED_RADIUS_AT_1024 * max(size) / 1024))
    guide = work_rgb.astype(np.float32) * (1.0 / 255.0)
    a, b = guided_coefficients(guide, alpha, radius, GUIDED_EPS)
    return apply_coefficients(a, b, rgb)
