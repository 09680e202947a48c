"""Keep the product, drop the rest: which connected parts of a mask belong to the product,
and which enclosed regions show the backdrop through it.

Shop photos carry seller badges ("TOP REVIEWED"), logos, price stickers and insets beside the
product. They are separate parts of the mask, smaller than the product, away from it, and the
model is less sure of them; a second product of a multi-product photo is large or close.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# A part is kept when it is the main one, or large beside it (another product), or close to it
# and confident (a strap, a lid, a shoe's pair). The rest (badges, text, specks) is dropped.
SECOND_PRODUCT_AREA = 0.25  # share of the main part's area
NEAR_AREA = 0.01  # share of the main part's area a close part needs
NEAR_GAP = 0.06  # gap to the main part, as a share of the main part's longer side
NEAR_CONFIDENCE = 0.75  # mean probability a close part needs
# Enclosed backdrop: a region inside the product as plain as the backdrop and not sure product.
BACKDROP_DELTA_E = 10.0  # Lab distance to the backdrop's colour
UNSURE = 0.9  # the model is sure of product above this: such pixels are never punched
RING = np.ones((3, 3), np.uint8)


@dataclass(frozen=True)
class Part:
    label: int
    area: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    confidence: float  # mean probability over the part


def _parts(fg: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, list[Part]]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    sums = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=count)
    parts = [
        Part(
            k,
            int(stats[k, cv2.CC_STAT_AREA]),
            (int(x), int(y), int(x + w), int(y + h)),
            float(sums[k] / stats[k, cv2.CC_STAT_AREA]),
        )
        for k, (x, y, w, h) in ((k, stats[k, :4]) for k in range(1, count))
    ]
    return labels, parts


def _gap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Distance between two boxes (0 when they overlap)."""
    dx = max(0, max(a[0], b[0]) - min(a[2], b[2]))
    dy = max(0, max(a[1], b[1]) - min(a[3], b[3]))
    return float(np.hypot(dx, dy))


def keep_product(alpha: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """``alpha`` with the parts that are not the product set to 0.

    ``prob`` (the model's probability, same size) weighs which part is the product: the main
    part has the largest confident area (area x mean probability)."""
    labels, parts = _parts(alpha > 0.5, prob)
    if len(parts) < 2:
        return alpha
    main = max(parts, key=lambda p: p.area * p.confidence)
    extent = max(main.box[2] - main.box[0], main.box[3] - main.box[1])
    keep = [
        p.label
        for p in parts
        if p is main
        or p.area >= SECOND_PRODUCT_AREA * main.area
        or (
            p.area >= NEAR_AREA * main.area
            and _gap(p.box, main.box) <= NEAR_GAP * extent
            and p.confidence >= NEAR_CONFIDENCE
        )
    ]
    if len(keep) == len(parts):
        return alpha
    return np.where(np.isin(labels, keep), alpha, 0).astype(alpha.dtype)


def backdrop_colour(lab: np.ndarray, prob: np.ndarray) -> np.ndarray | None:
    """Median Lab colour of what is surely background along the photo's border."""
    border = np.zeros(prob.shape, bool)
    border[:2], border[-2:], border[:, :2], border[:, -2:] = True, True, True, True
    sure = border & (prob < 0.1)
    if sure.sum() < 0.2 * border.sum():  # hardly any plain border: no backdrop to speak of
        return None
    return np.median(lab[sure], axis=0)


def _exterior(fg: np.ndarray) -> np.ndarray:
    """Background connected to the photo's border (the rest of the background is enclosed)."""
    bg = (~fg).astype(np.uint8)
    _, labels = cv2.connectedComponents(bg, connectivity=4)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return np.isin(labels, edge[edge > 0])


def punch_backdrop(alpha: np.ndarray, prob: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Set to 0 the regions enclosed by the product that show the backdrop (inside a handle, a
    chain, a lens), unless the model is sure they are product (white print on a white tee).

    Only regions with product all around are punched: backdrop-coloured product at the outline
    (a white sole on a white sweep) is the model's and the graph cut's call, never this one's."""
    fg = alpha > 0.5
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    backdrop = backdrop_colour(lab, prob)
    if backdrop is None or not fg.any():
        return alpha
    looks_like_backdrop = np.linalg.norm(lab - backdrop, axis=2) < BACKDROP_DELTA_E
    candidate = (fg & looks_like_backdrop & (prob < UNSURE)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidate, connectivity=4)
    if count < 2:
        return alpha
    at_outline = cv2.dilate(_exterior(fg).astype(np.uint8), RING) > 0
    touching = np.bincount(labels[at_outline & (candidate > 0)], minlength=count) > 0
    big_enough = stats[:, cv2.CC_STAT_AREA] >= max(4, int(0.0005 * fg.sum()))
    out = alpha.copy()
    for k in np.flatnonzero(big_enough & ~touching):
        if k == 0:  # the pixels that are no candidate
            continue
        x, y, w, h = stats[k, :4]
        box = (slice(max(y - 2, 0), y + h + 2), slice(max(x - 2, 0), x + w + 2))
        region = labels[box] == k
        ring = (cv2.dilate(region.astype(np.uint8), RING) > 0) & ~region & fg[box]
        # Product of the backdrop's own colour around it (white print on a white tee): the
        # colours cannot tell, so the model's call stands.
        if (
            ring.any()
            and np.linalg.norm(np.median(lab[box][ring], axis=0) - backdrop) >= BACKDROP_DELTA_E
        ):
            out[box][region] = 0
    return out
