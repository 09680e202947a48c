"""Product-only cutouts: the subject minus the person who wears or holds it.

A two-output model says, per pixel, "subject" (the product plus a person wearing or holding
it) and "person" (skin, hair, face, hands). The product is what is subject and not person.
The seams get two passes:

1. before refinement, the product probability ``subject * (1 - person)`` replaces the subject,
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
    """Probability that a pixel is the product (subject and not person), same size."""
    return (subject * (1.0 - person)).astype(np.float32)


def remove_person(alpha: np.ndarray, person: np.ndarray) -> np.ndarray:
    """``alpha`` (float, full size) cleared where the ``person`` map (any size) is sure."""
    height, width = alpha.shape
    person = cv2.resize(person.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    keep = np.clip((PERSON_SURE - person) / PERSON_RAMP, 0.0, 1.0)
    return alpha * keep
