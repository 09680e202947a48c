"""Which cutouts need a human, and why, in words a person can act on.

Everything here is read from what the pipeline already has: the model's maps (subject, and the
person map on models that make one), the final alpha and the photo. ``review_cutout`` measures
a few signals, turns each one that is out of bounds into a reason ("person in the cutout (23%
of it)", "unsure region at the top left", ...) and ranks the cutout by a confidence that
combines them (low = check it first). bench/confidence.py measures how well that ranking
catches bad cutouts on the dev sets; drawing the evidence is ``skucut.explain``'s job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from skucut.enhance import Enhancement

SURE = 0.1  # probabilities below this or above 1 - SURE count as sure
MIN_PRODUCT_SHARE = 0.005  # a product covering less of the photo is "tiny"
PERSON_SHARE = 0.02  # a person covering more of the cutout than this is a reason
# The uncertain band along a good outline is a few pixels of the model's working size; a
# region of unsure pixels further than EDGE_BAND from the outline, and larger than
# UNSURE_REGION of the product's area, is a place the model does not know.
EDGE_BAND = 2
UNSURE_REGION = 0.04
PART_AREA = 0.01  # separate parts smaller than this share of the main one are noise, not parts
NOISE_AREA = 0.0005  # share of the photo under which a blob of the map is not listed at all
EDGE_TOUCH = 0.05  # share of a photo side covered by the product for it to touch that edge
LOW_CONTRAST = 12.0  # Lab distance between the product's rim and the backdrop around it
# The plain confidence (share of the product the model is sure of) under which a cutout was
# flagged before the ranking below existed; pseudo-labelling still uses it.
REVIEW_BELOW = 0.8
# The ranking: Review.confidence is 1 - risk, and risk the model's plain doubt (1 - confidence)
# plus a little of the other signals. Measured by bench/confidence.py on the dev pool (products,
# msra, pascals, grabcut; skucut-quality-v4, 519 photos, 149 bad at IoU < 0.8): flagging the
# riskiest 20% catches 50% of the bad cutouts pooled (the plain confidence 52%; at most 70% can
# be caught, as 29% are bad) and all 6 on products-dev (plain confidence 3 of 6). With v3 (the
# same weights at 448 px): 48% pooled, 86% on products-dev. A logistic scorer fitted on the
# pool, and the disagreement between the model at two scales, did no better held out (45% and
# 44%, v3). (With skucut-quality-v2, whose person map fired on most products, the person signal
# sank this ranking to 29% pooled and 12% on products-dev.)
# A cutout is flagged when its risk is above RISK_ABOVE (the riskiest 20% of that pool with v4)
# or when a reason a person must act on fires (empty, tiny, a person left in a product-only
# cutout).
RISK_ABOVE = 0.41
# The signals risk() adds up, in this order, and their weights (bias last); a person in the
# cutout weighs as much as the doubt itself: the model is sure of such confident mistakes.
FEATURES = ("doubt", "unsure", "band", "parts", "edges", "plain_rim", "person", "tiny")
RISK_WEIGHTS = (1.0, 0.25, 0.0, 0.075, 0.025, 0.3, 1.0, 1.0, 0.0)


@dataclass(frozen=True)
class Part:
    """One separate part of what the model calls subject, and what became of it."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 as shares of the photo's size
    area: float  # share of the photo
    mean_probability: float
    kept: bool
    why: str  # "main part", "second product", "sure of it", "unsure (0.45)", "person", "speck"


@dataclass(frozen=True)
class Evidence:
    """What the review saw, for ``skucut.explain`` to draw (not part of any report)."""

    subject: np.ndarray  # the model's subject probability at its working size
    person: np.ndarray | None  # its person probability, when the model makes one
    parts: tuple[Part, ...] = ()
    unsure_region: np.ndarray | None = None  # bool, working size: the unsure area off the edge
    cutout: np.ndarray | None = None  # bool, working size: the final cutout


@dataclass(frozen=True)
class Review:
    confidence: float  # 0..1; low = more likely a bad cutout (the ranking)
    needs_review: bool
    reason: str = ""  # the reasons joined with "; ", for a person reading a list
    reasons: tuple[str, ...] = ()
    signals: dict = field(default_factory=dict, compare=False)
    evidence: Evidence | None = field(default=None, compare=False, repr=False)
    enhancement: Enhancement | None = field(default=None, compare=False)  # None: --enhance off

    def without_evidence(self) -> Review:
        """The review without its maps, to keep (a run of thousands holds every flagged one)."""
        return replace(self, evidence=None)

    def as_dict(self) -> dict:
        return {"confidence": round(self.confidence, 4), "needs_review": self.needs_review,
                "reason": self.reason, "reasons": list(self.reasons),
                **({"enhance": self.enhancement.as_dict()} if self.enhancement else {})}  # fmt: skip


def confidence(prob: np.ndarray) -> float:
    """Share of the product-or-unsure pixels that the model is sure are product."""
    unsure = (prob > SURE) & (prob < 1 - SURE)
    sure_product = prob >= 1 - SURE
    total = int(unsure.sum() + sure_product.sum())
    return float(sure_product.sum() / total) if total else 0.0


def _place(mask: np.ndarray) -> str:
    """Where a region lies in the photo, in words: "top left", "centre", "bottom"."""
    ys, xs = np.nonzero(mask)
    height, width = mask.shape
    row = ("top", "", "bottom")[min(2, int(3 * ys.mean() / height))]
    col = ("left", "", "right")[min(2, int(3 * xs.mean() / width))]
    return " ".join(w for w in (row, col) if w) or "centre"


def _binary(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``alpha`` (uint8 or float, any size) as a bool mask at ``size`` (h, w)."""
    half = 127 if alpha.dtype == np.uint8 else 0.5
    if alpha.shape != size:
        alpha = cv2.resize(alpha, size[::-1], interpolation=cv2.INTER_AREA)
    return alpha > half


def unsure_region(prob: np.ndarray) -> np.ndarray:
    """Unsure pixels that are not the thin band every outline has."""
    unsure = (prob > SURE) & (prob < 1 - SURE)
    fg = (prob > 0.5).astype(np.uint8)
    kernel = np.ones((2 * EDGE_BAND + 1, 2 * EDGE_BAND + 1), np.uint8)
    outline = cv2.dilate(fg, kernel) != cv2.erode(fg, kernel)
    return unsure & ~outline


def judge_parts(
    prob: np.ndarray, final: np.ndarray, person: np.ndarray | None = None
) -> list[Part]:
    """The separate parts of the model's subject (working size) and whether the cutout kept
    each (``final``: the cutout at the same size), with the rule that decided it."""
    from skucut.refine.product import SECOND_PRODUCT_AREA, SPECK_AREA, SURE_PART

    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        (prob > 0.5).astype(np.uint8), connectivity=8
    )
    if count < 2:
        return []
    area = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    mean = np.bincount(labels.ravel(), weights=prob.ravel(), minlength=count)[1:] / area
    kept_px = np.bincount(labels.ravel(), weights=final.ravel(), minlength=count)[1:]
    person_px = (
        np.bincount(labels.ravel(), weights=(person > 0.5).ravel(), minlength=count)[1:]
        if person is not None
        else np.zeros_like(area)
    )
    main = int(np.argmax(area * mean))
    height, width = prob.shape
    parts = []
    for k in np.argsort(-area):
        if k != main and area[k] < NOISE_AREA * prob.size:
            continue  # a few pixels of the model's map: neither a part nor worth a label
        kept = kept_px[k] > 0.5 * area[k]
        if k == main:
            why = "main part"
        elif person_px[k] > 0.5 * area[k]:
            why = "person"
        elif area[k] >= SECOND_PRODUCT_AREA * area[main]:
            why = "second product"
        elif area[k] < SPECK_AREA * area[main]:
            why = "speck"
        elif mean[k] >= SURE_PART:
            why = "sure of it"
        else:
            why = f"unsure ({mean[k]:.2f})"
        x, y, w, h = stats[k + 1, :4]
        box = (x / width, y / height, (x + w) / width, (y + h) / height)
        parts.append(Part(box, area[k] / prob.size, float(mean[k]), bool(kept), why))
    return parts


def _rim_contrast(rgb: np.ndarray, fg: np.ndarray) -> float:
    """Lab distance between the product's rim and the backdrop just outside it."""
    side = max(fg.shape)
    width = max(2, round(0.01 * side))
    kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    mask = fg.astype(np.uint8)
    inner = (mask > 0) & (cv2.erode(mask, kernel) == 0)
    outer = (cv2.dilate(mask, kernel) > 0) & (mask == 0)
    if inner.sum() < 8 or outer.sum() < 8:
        return math.inf
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    return float(np.linalg.norm(np.median(lab[inner], axis=0) - np.median(lab[outer], axis=0)))


def measure(
    prob: np.ndarray,
    alpha: np.ndarray,
    person: np.ndarray | None = None,
    rgb: np.ndarray | None = None,
) -> tuple[dict, list[Part], np.ndarray]:
    """The signals (a flat dict of numbers), the parts and the unsure region of one cutout.

    ``prob``/``person``: the model's maps (working size); ``alpha``: the final cutout (any size,
    uint8 or float); ``rgb``: the photo (any size; for the contrast with the backdrop)."""
    final = _binary(alpha, prob.shape)
    product_px = int(final.sum())
    full_share = float(_binary(alpha, alpha.shape).mean())
    region = unsure_region(prob)
    fg = prob > 0.5
    unsure = (prob > SURE) & (prob < 1 - SURE)
    perimeter = max(1, int((cv2.dilate(fg.astype(np.uint8), np.ones((3, 3))) > 0).sum() - fg.sum()))
    parts = judge_parts(prob, final.astype(np.float32), person)
    kept = [p for p in parts if p.kept]
    main_area = max((p.area for p in kept), default=0.0)
    edges = [
        name
        for name, line in (
            ("top", final[0]),
            ("bottom", final[-1]),
            ("left", final[:, 0]),
            ("right", final[:, -1]),
        )
        if line.mean() > EDGE_TOUCH
    ]
    signals = {
        "confidence": confidence(prob),
        "share": full_share,
        "unsure": float((region & (fg | final)).sum() / max(1, product_px)),
        "unsure_any": float(region.sum() / max(1, product_px)),
        "band": float(unsure.sum() / perimeter),
        "parts": sum(1 for p in kept if p.area >= PART_AREA * main_area),
        "edges": edges,
        "person": (
            float(((person > 0.5) & final).sum() / max(1, product_px))
            if person is not None
            else 0.0
        ),
        "contrast": math.inf,
    }
    if rgb is not None and product_px:
        small = cv2.resize(rgb, prob.shape[::-1], interpolation=cv2.INTER_AREA)
        signals["contrast"] = _rim_contrast(small, final)
    return signals, parts, region


def features(signals: dict) -> list[float]:
    """The signals as the numbers risk() weighs (see FEATURES)."""
    contrast = signals["contrast"]
    return [
        1.0 - signals["confidence"],
        signals["unsure_any"],
        signals["band"],
        math.log2(max(1, signals["parts"])),
        float(len(signals["edges"])),
        max(0.0, 1 - contrast / LOW_CONTRAST) if math.isfinite(contrast) else 0.0,
        signals["person"],
        float(signals["share"] < MIN_PRODUCT_SHARE),
    ]


def risk(signals: dict, weights: tuple[float, ...] = RISK_WEIGHTS) -> float:
    """0..1: how likely the cutout is bad (IoU under 0.8), from the signals."""
    z = weights[-1] + sum(w * x for w, x in zip(weights, features(signals), strict=False))
    return min(1.0, max(0.0, z))


def reasons(signals: dict, region: np.ndarray, product_only: bool = False) -> list[str]:
    """The signals that are out of bounds, each in words a person can act on."""
    out = []
    if signals["share"] == 0:
        return ["empty cutout: no product found"]
    if signals["person"] > PERSON_SHARE:
        where = "left in the product-only cutout" if product_only else "in the cutout"
        out.append(f"person {where} ({signals['person']:.0%} of it)")
    if signals["unsure_any"] > UNSURE_REGION:
        out.append(f"unsure region at the {_place(region)}")
    if signals["parts"] > 1:
        out.append(f"{signals['parts']} separate parts")
    if signals["edges"]:
        out.append(f"product touches the photo edge ({', '.join(signals['edges'])})")
    if signals["share"] < MIN_PRODUCT_SHARE:
        out.append(f"tiny product ({signals['share']:.1%} of the photo)")
    if signals["contrast"] < LOW_CONTRAST:
        out.append("low contrast with the backdrop")
    return out


def review_cutout(
    prob: np.ndarray,
    alpha: np.ndarray,
    person: np.ndarray | None = None,
    rgb: np.ndarray | None = None,
    product_only: bool = False,
) -> Review:
    """``prob``: the model's subject probability (its working size); ``alpha``: the final
    alpha (uint8 or float, any size); ``person``: the model's person map, if it makes one;
    ``rgb``: the photo, for the contrast with the backdrop."""
    signals, parts, region = measure(prob, alpha, person, rgb)
    said = reasons(signals, region, product_only)
    score = 1.0 - risk(signals) if signals["share"] else 0.0
    # Some reasons always need a person: nothing (or almost nothing) was found, or a person is
    # left where the product was asked for alone.
    must = signals["share"] < MIN_PRODUCT_SHARE or (
        product_only and signals["person"] > PERSON_SHARE
    )
    flagged = bool(must or score < 1.0 - RISK_ABOVE)
    if flagged and not said:
        said = [f"low confidence ({score:.2f})"]
    evidence = Evidence(prob, person, tuple(parts), region, _binary(alpha, prob.shape))
    return Review(
        score, flagged, "; ".join(said) if flagged else "", tuple(said), signals, evidence
    )
