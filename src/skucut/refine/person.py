"""Product-only cutouts: the subject minus the person who wears or holds it.

A two-output model says, per pixel, "subject" (the product plus a person wearing or holding
it) and "person" (skin, hair, face, hands). The product is what is subject and not person.
The seams get two passes:

1. before refinement, the product probability (the subject where the person map is low, 0
   where it is sure) replaces the subject,
   so the colour graph cut re-decides the band along the product/skin seam from this photo's
   own colours, as it does along the product/backdrop edge (a garment keeps its own pixels);
2. after refinement, wherever the person map is sure the alpha is cleared, because clean-up
   fills enclosed holes that look like the product rather than the backdrop, and skin inside
   a neck opening or between fingers can look like either: the neck opening of a worn top
   becomes transparent (a ghost-mannequin shot), a hand holding a product goes.

Nothing is invented: where fingers cover the product, the product is not there in the photo,
so it stays only where the model itself shows product.
"""

from __future__ import annotations

import cv2
import numpy as np

from skucut.errors import InvalidModel

# The person map is soft along its edge (it is predicted at a coarser stride than the subject):
# the alpha is cleared fully above PERSON_SURE and faded over the ramp below it.
PERSON_SURE = 0.6
PERSON_RAMP = 0.2
NO_PERSON_MAP = "this model has no person map; use skucut-quality-v2 or later"


def require_person_map(outputs: tuple[str, ...], name: str) -> None:
    """Product-only needs the model's person map: a clear error for a model without one."""
    if "person" not in outputs:
        raise InvalidModel(f"{name}: {NO_PERSON_MAP}")


def product_probability(subject: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Probability that a pixel is the product (subject and not person), same size.

    The subject's own probability is kept where the person map is low and ramped to 0 over
    the person map's PERSON_RAMP below PERSON_SURE, rather than multiplied by (1 - person): a
    person map that is half-sure over a worn garment (0.3-0.5) would otherwise turn the whole
    garment into an unsure haze the graph cut splits. Measured on an interim skucut-quality-v2
    checkpoint (bench/product_only.py, the 5 products-dev photos with people): mean IoU 0.739
    with (1 - person), 0.753 with the ramp (3 better, 1 worse, 1 the same)."""
    return (subject * _keep(person)).astype(np.float32)


def _keep(person: np.ndarray) -> np.ndarray:
    """1 where the person map is low, 0 where it is sure, a linear ramp between."""
    return np.clip((PERSON_SURE - person) / PERSON_RAMP, 0.0, 1.0)


# A piece of the cutout cut off by the person's removal and smaller than this share of the
# largest piece is what the person map missed (short hair above a removed face, a patch of
# cheek, a knuckle), not a product: the piece goes too.
LEFTOVER_SHARE = 0.1


def remove_person(alpha: np.ndarray, person: np.ndarray) -> np.ndarray:
    """``alpha`` (float, full size) cleared where the ``person`` map (any size) is sure, and
    the small pieces that removal leaves hanging beside it dropped (see LEFTOVER_SHARE)."""
    height, width = alpha.shape
    person = cv2.resize(person.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    keep = _keep(person)
    out = alpha * keep
    removed = ((alpha > 0.5) & (keep < 0.5)).astype(np.uint8)
    if not removed.any():
        return out
    count, labels, stats, _ = cv2.connectedComponentsWithStats((out > 0.5).astype(np.uint8), 8)
    if count <= 2:  # background and one piece: nothing hangs loose
        return out
    areas = stats[1:, cv2.CC_STAT_AREA]
    beside = np.unique(labels[cv2.dilate(removed, np.ones((5, 5), np.uint8)) > 0])
    small = 1 + np.flatnonzero(areas < LEFTOVER_SHARE * areas.max())
    leftovers = np.intersect1d(small, beside)
    if len(leftovers):
        out[np.isin(labels, leftovers)] = 0.0
    return out
