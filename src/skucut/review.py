"""Which cutouts need a human: a confidence score from the model's own output, and checks on
the result (empty, or a product that covers a tiny share of the photo).

The model is visibly unsure where it fails: a product it half-recognises comes out as a large
semi-transparent area instead of a crisp mask. The score is the share of the predicted
product (and its uncertain surroundings) that the model is sure about; bench/confidence.py
measures how well it ranks bad cutouts on the dev sets and sets REVIEW_BELOW.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SURE = 0.1  # probabilities below this or above 1 - SURE count as sure
REVIEW_BELOW = 0.8  # confidence under this flags the cutout (see bench/confidence.py)
MIN_PRODUCT_SHARE = 0.005  # a product covering less of the photo is flagged


@dataclass(frozen=True)
class Review:
    confidence: float  # 0..1; 1 = the model is sure of every pixel of the product
    needs_review: bool
    reason: str = ""  # why it needs review, for a person reading the list

    def as_dict(self) -> dict:
        return {"confidence": round(self.confidence, 4), "needs_review": self.needs_review,
                "reason": self.reason}  # fmt: skip


def confidence(prob: np.ndarray) -> float:
    """Share of the product-or-unsure pixels that the model is sure are product."""
    unsure = (prob > SURE) & (prob < 1 - SURE)
    sure_product = prob >= 1 - SURE
    total = int(unsure.sum() + sure_product.sum())
    return float(sure_product.sum() / total) if total else 0.0


def review_cutout(prob: np.ndarray, alpha: np.ndarray) -> Review:
    """``prob``: the model's probability (its working size); ``alpha``: the final alpha (uint8
    or float, any size)."""
    score = confidence(prob)
    share = float((alpha > (127 if alpha.dtype == np.uint8 else 0.5)).mean())
    if share == 0:
        return Review(score, True, "empty cutout: no product found")
    if share < MIN_PRODUCT_SHARE:
        return Review(score, True, f"the product covers only {share:.1%} of the photo")
    if score < REVIEW_BELOW:
        return Review(score, True, f"low confidence ({score:.2f})")
    return Review(score, False)
