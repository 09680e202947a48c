"""Explain maps: one picture per cutout that says what the model saw and what was decided.

Three panels side by side, each the photo in grey so the drawing stands out:

1. the cutout's outline (green) and the model's uncertainty as a heat overlay (red where the
   model is unsure, 1 - |2p - 1| of its map), so a person sees where to look first;
2. the person map (magenta), when the model makes one;
3. every separate part the model found, boxed green (kept) or red (dropped) with why.

Under them, the review's reasons. Nothing is decided here: the maps and decisions come from
``skucut.review`` (``Review.evidence``); this module only draws.
"""

from __future__ import annotations

import cv2
import numpy as np

from skucut.review import Review

PANEL = 360  # longer side of each panel, pixels
HEAT = np.array([255, 30, 0], np.float32)  # unsure
PERSON = np.array([230, 0, 200], np.float32)
KEPT, DROPPED, OUTLINE = (40, 200, 60), (230, 40, 40), (40, 230, 60)
FONT = cv2.FONT_HERSHEY_SIMPLEX


def uncertainty(prob: np.ndarray) -> np.ndarray:
    """0 where the model is sure (0 or 1), 1 where it says 0.5."""
    return 1.0 - np.abs(2.0 * prob.astype(np.float32) - 1.0)


def _grey(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    # Lightened, so the colours drawn on top read against any photo.
    return np.repeat((128 + grey.astype(np.float32) / 2)[..., None], 3, axis=2)


def _tint(base: np.ndarray, weight: np.ndarray, colour: np.ndarray) -> np.ndarray:
    w = np.clip(weight, 0.0, 1.0)[..., None] * 0.85
    return base * (1 - w) + colour * w


def _label(img: np.ndarray, text: str, org: tuple[int, int], colour) -> None:
    cv2.putText(img, text, org, FONT, 0.42, (255, 255, 255), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, FONT, 0.42, colour, 1, cv2.LINE_AA)


def draw_explain(rgb: np.ndarray, review: Review, alpha: np.ndarray | None = None) -> np.ndarray:
    """The explain picture (RGB uint8) of a photo and its review; ``alpha``: the final alpha at
    the photo's size for a finer outline (default: the review's cutout at the model's size)."""
    evidence = review.evidence
    if evidence is None:
        raise ValueError("this review carries no evidence to draw (made by review_cutout?)")
    height, width = rgb.shape[:2]
    scale = PANEL / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    base = _grey(rgb, size)

    heat = cv2.resize(uncertainty(evidence.subject), size, interpolation=cv2.INTER_LINEAR)
    heat = np.clip((heat - 0.2) / 0.6, 0.0, 1.0)  # a sure pixel (p < 0.1 or > 0.9) stays clear
    first = _tint(base, heat, HEAT).astype(np.uint8)
    if alpha is None:
        alpha = evidence.cutout.astype(np.float32)
    small_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR)
    fg = (small_alpha > (127 if alpha.dtype == np.uint8 else 0.5)).astype(np.uint8)
    contours, _ = cv2.findContours(fg, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(first, contours, -1, OUTLINE, 1, cv2.LINE_AA)
    _label(first, "outline + unsure (red)", (6, 16), (0, 0, 0))

    if evidence.person is not None:
        person = cv2.resize(
            evidence.person.astype(np.float32), size, interpolation=cv2.INTER_LINEAR
        )
        second = _tint(base, person, PERSON).astype(np.uint8)
        _label(second, "person map", (6, 16), (0, 0, 0))
    else:
        second = base.astype(np.uint8)
        _label(second, "no person map (model has none)", (6, 16), (0, 0, 0))

    third = base.astype(np.uint8)
    third[fg > 0] = (0.5 * third[fg > 0] + 0.5 * np.array(KEPT)).astype(np.uint8)
    for part in evidence.parts[:12]:
        x0, y0, x1, y1 = (round(v * s) for v, s in zip(part.box, (*size, *size), strict=True))
        colour = KEPT if part.kept else DROPPED
        cv2.rectangle(third, (x0, y0), (max(x0 + 1, x1 - 1), max(y0 + 1, y1 - 1)), colour, 1)
        text = f"{'kept' if part.kept else 'dropped'}: {part.why}"
        _label(
            third, text, (x0 + 2, min(size[1] - 4, max(12, y0 - 3 if y0 > 14 else y1 + 12))), colour
        )
    _label(third, f"{len(evidence.parts)} part(s)", (6, 16), (0, 0, 0))

    gap = np.full((size[1], 6, 3), 255, np.uint8)
    row = np.hstack([first, gap, second, gap, third])
    lines = list(review.reasons) or ["no reason to check it"]
    caption = np.full((18 * len(lines) + 10, row.shape[1], 3), 255, np.uint8)
    head = f"confidence {review.confidence:.2f}{' - check it:' if review.needs_review else ''}"
    _label(caption, head, (6, 14), (0, 0, 0))
    for i, line in enumerate(lines[:8]):
        _label(
            caption,
            "- " + line,
            (200, 14 + 18 * i),
            (120, 0, 0) if review.needs_review else (0, 0, 0),
        )
    return np.vstack([row, caption])


def explain_png(rgb: np.ndarray, review: Review, alpha: np.ndarray | None = None) -> bytes:
    """The explain picture as PNG bytes."""
    picture = draw_explain(rgb, review, alpha)
    ok, data = cv2.imencode(".png", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("could not encode the explain picture")
    return data.tobytes()


def uncertainty_png(review: Review) -> bytes:
    """The model's uncertainty over the whole photo, stretched to its working size (white =
    unsure), as a grey PNG: the page's editor lays it over the cutout so the brush goes
    there first."""
    if review.evidence is None:
        raise ValueError("this review kept no maps to draw")
    heat = np.round(uncertainty(review.evidence.subject) * 255).astype(np.uint8)
    ok, data = cv2.imencode(".png", heat)
    if not ok:
        raise ValueError("could not encode the uncertainty map")
    return data.tobytes()
