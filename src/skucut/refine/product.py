"""Keep the product, drop the rest: which connected parts of a mask belong to the product,
and which enclosed regions show the backdrop through it.

Shop photos carry seller badges ("TOP REVIEWED"), logos, banners, price stickers and props
beside the product. They are separate parts of the mask, smaller than the product, and the
model is unsure of them; the product's own separate parts (a cap, buttons, a clock's birds,
the second shoe) it is sure of. Measured on products-dev with skucut-unet-v4: true product
parts had a mean probability of 0.89-0.98, badges, banners, logos and props 0.26-0.73 (one
0.85); their distance to the product told them apart far less well.
"""

from __future__ import annotations

import cv2
import numpy as np

# A part is kept when it is the main one, large beside it (another product), or one the model
# is sure of and more than a speck. The rest (badges, text, props, specks) is dropped.
SECOND_PRODUCT_AREA = 0.25  # share of the main part's area
SURE_PART = 0.8  # mean probability of a part the model is sure of
SPECK_AREA = 0.002  # share of the main part's area below which a part is noise
# Enclosed backdrop: a region inside the product as plain as the backdrop and not sure product.
BACKDROP_DELTA_E = 10.0  # Lab distance to the backdrop's colour
UNSURE = 0.5  # only what the model itself calls background is punched (see below)
RING = np.ones((3, 3), np.uint8)


def keep_product(alpha: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """``alpha`` with the parts that are not the product set to 0.

    ``prob`` (the model's probability, same size) weighs the parts: the main one has the
    largest confident area (area x mean probability)."""
    count, labels = cv2.connectedComponents((alpha > 0.5).astype(np.uint8), connectivity=8)
    if count <= 2:  # background and at most one part
        return alpha
    area = np.bincount(labels.ravel(), minlength=count)[1:].astype(np.float64)
    confidence = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=count)[1:] / area
    main = int(np.argmax(area * confidence))
    keep = (area >= SECOND_PRODUCT_AREA * area[main]) | (
        (area >= SPECK_AREA * area[main]) & (confidence >= SURE_PART)
    )
    keep[main] = True
    if keep.all():
        return alpha
    return np.where(np.concatenate([[False], keep])[labels], alpha, 0).astype(alpha.dtype)


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
    chain, a lens) where the model says background but the edge step filled them in.

    Only regions with product all around are punched: backdrop-coloured product at the outline
    (a white sole on a white sweep) is the model's and the graph cut's call, never this one's.
    Where the model is merely unsure it is not punched either: measured on products-dev with
    skucut-unet-v4, punching below a probability of 0.7 or 0.9 cut holes into clear glass
    (2-7 images worse, none better), because clear glass shows the backdrop too."""
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
