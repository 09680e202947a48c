"""Mask clean-up: keep the product's parts only, fill false holes, keep the real ones.

Whether a hole is real is decided by what the image shows inside it: a mug handle or a ring
shows the same background as around the product; a false hole shows the product's own colour.
"""

from __future__ import annotations

import cv2
import numpy as np

from skucut.refine.product import keep_product, punch_backdrop

SPECK_FRACTION = 0.0005  # holes smaller than this share of the object are filled outright
RING_KERNEL = np.ones((7, 7), np.uint8)  # the product pixels around a hole it is compared with


def _lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)


def fill_false_holes(prob: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Fill enclosed background regions whose colour looks like the product, not the background."""
    fg = prob > 0.5
    bg = (~fg).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bg, connectivity=4)
    touches_border = np.zeros(count, bool)
    touches_border[0] = True  # label 0 is the product itself, never a hole
    for edge in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        touches_border[np.unique(edge)] = True
    areas = stats[:, cv2.CC_STAT_AREA]
    holes = np.flatnonzero(~touches_border)
    specks = holes[areas[holes] < SPECK_FRACTION * fg.sum()]
    out = prob.copy()
    out[np.isin(labels, specks)] = 1.0
    outside = touches_border[labels] & (prob < 0.1)
    if not outside.any():
        return out  # nothing to compare with: keep what the model said
    lab = _lab(rgb)
    bg_colour = np.median(lab[outside], axis=0)
    for k in np.setdiff1d(holes, specks):
        # Work in the hole's bounding box grown by the ring width.
        x, y, w, h = stats[k, :4]
        x0, y0, x1, y1 = max(x - 4, 0), max(y - 4, 0), x + w + 4, y + h + 4
        hole = labels[y0:y1, x0:x1] == k
        ring = (cv2.dilate(hole.astype(np.uint8), RING_KERNEL) > 0) & fg[y0:y1, x0:x1]
        if not ring.any():
            continue
        crop = lab[y0:y1, x0:x1]
        hole_colour = np.median(crop[hole], axis=0)
        to_background = np.linalg.norm(hole_colour - bg_colour)
        to_product = np.linalg.norm(hole_colour - np.median(crop[ring], axis=0))
        if to_product < to_background:
            out[y0:y1, x0:x1][hole] = 1.0
    return out


def clean_mask(mask: np.ndarray, rgb: np.ndarray, prob: np.ndarray | None = None) -> np.ndarray:
    """``mask`` (HxW in [0, 1]), ``rgb`` (HxWx3 uint8) and the model's probability ``prob``
    (default: the mask) at the same resolution: only the product's parts are kept, false holes
    filled and enclosed backdrop punched."""
    prob = mask if prob is None else prob
    kept = keep_product(mask, prob)
    return punch_backdrop(fill_false_holes(kept, rgb), prob, rgb)
