"""Self-training data: a trained model labels unlabeled photos, keeping only what it is sure of.

The teacher looks at each photo several ways: at the working sizes in ``sides``, each also
mirrored. A pixel is labelled 255 where every view's probability is at least ``sure``, 0 where
every view's is at most 1 - ``sure``, and 128 (ignored by training) where they disagree or are
unsure. On a studio photo (a plain, light backdrop around the border) the backdrop itself is one
more view: a pixel the teacher calls product but that is backdrop-coloured and connected to the
border becomes 128, and so does one the teacher calls background that is far from the
backdrop's colour; a backdrop pixel the views lean to (mean below 0.5) without being sure of
becomes 0 (the white gaps between arm and body that teachers half-fill). A photo whose cutout is empty, tiny or unsure (the review's thresholds) is
left out entirely; the review's other reasons (a product touching the photo's edge, a person in
the cutout) describe shop photos worth learning from. Never point this at an eval set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.io.decode import IMAGE_EXTS, decode_image
from skucut.review import MIN_PRODUCT_SHARE, REVIEW_BELOW, confidence
from skucut.runtime import Segmenter

MAX_SIDE = 640  # pairs are stored at most this big: training keeps them smaller still
IGNORE = 128
# A backdrop pixel is within this Lab distance of the border's median colour; a pixel further
# than FAR_FROM_BACKDROP cannot be backdrop, whatever the teacher says.
BACKDROP_DELTA = 9.0
FAR_FROM_BACKDROP = 30.0


@dataclass(frozen=True)
class PseudoLabelReport:
    written: int
    skipped: dict[str, str]  # photo name -> why it was left out


def view_probabilities(segmenter, rgb: np.ndarray, sides: Iterable[int | None]) -> np.ndarray:
    """The teacher's subject probability at the photo's size, one per view (NxHxW): each side
    in ``sides`` (None = the working size) as it is and mirrored."""
    height, width = rgb.shape[:2]
    views = []
    for side in sides:
        for flip in (False, True):
            photo = np.ascontiguousarray(rgb[:, ::-1]) if flip else rgb
            prob = segmenter.postprocess(segmenter.probability(photo, side), height, width)
            views.append(prob[:, ::-1] if flip else prob)
    return np.stack(views)


def studio_backdrop(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(backdrop-coloured and connected to the border, far from the backdrop colour) for a
    photo on a plain light backdrop; None when the border is not one (a scene, a dark or busy
    backdrop)."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    lab[..., 0] *= 100 / 255  # OpenCV's 8-bit L is 0..255
    lab[..., 1:] -= 128
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    colour = np.median(border, axis=0)
    distance = np.linalg.norm(lab - colour, axis=-1)
    border_distance = np.linalg.norm(border - colour, axis=-1)
    plain = np.mean(border_distance < BACKDROP_DELTA) > 0.8
    if not plain or colour[0] < 70 or np.hypot(*colour[1:]) > 12:
        return None
    close = (distance < BACKDROP_DELTA).astype(np.uint8)
    # Connected to the border: see-through gaps (between arm and body) count, enclosed white
    # parts of the product (a logo, a white stripe) do not.
    padded = np.pad(close, 1, constant_values=1)
    _, labels = cv2.connectedComponents(padded, connectivity=4)
    backdrop = (labels == labels[0, 0])[1:-1, 1:-1] & (close > 0)
    return backdrop, distance > FAR_FROM_BACKDROP


def agreed_label(views: np.ndarray, sure: float, studio=None) -> np.ndarray:
    """255 where every view is sure of the product, 0 where every view is sure of the
    background, 128 elsewhere (and where the studio backdrop contradicts the views)."""
    label = np.full(views.shape[1:], IGNORE, np.uint8)
    label[(views >= sure).all(axis=0)] = 255
    label[(views <= 1 - sure).all(axis=0)] = 0
    if studio is not None:
        backdrop, far = studio
        label[backdrop & (label == 255)] = IGNORE
        label[far & (label == 0)] = IGNORE
        # Backdrop seen through a gap (between arm and body, between the legs) that the views
        # lean to but are not sure of: the backdrop decides. Where they lean to product (a
        # white garment against white), it stays unknown.
        leaning = (views.mean(axis=0) < 0.5) & (label == IGNORE)
        label[backdrop & leaning] = 0
    return label


def _doubt(prob: np.ndarray) -> str:
    """Why a photo's labels cannot be trusted at all ("" when they can)."""
    share = float((prob > 0.5).mean())
    if share == 0:
        return "empty cutout: no product found"
    if share < MIN_PRODUCT_SHARE:
        return f"the product covers only {share:.1%} of the photo"
    score = confidence(prob)
    return f"low confidence ({score:.2f})" if score < REVIEW_BELOW else ""


def pseudo_label(
    model: str | Path,
    photos: str | Path,
    out: str | Path,
    sure: float = 0.9,
    sides: Iterable[int | None] = (None,),
    exclude: Iterable[str] = (),
    threads: int = 0,
) -> PseudoLabelReport:
    """Label every photo under ``photos`` whose name does not start with one of ``exclude``
    (e.g. the SKUs of a dev set) into ``out``/images + masks."""
    if "/eval/" in f"/{Path(photos).resolve().as_posix()}/":
        raise ValueError(f"{photos} looks like an eval set: never pseudo-label what is measured")
    segmenter = Segmenter(model, threads=threads)
    sides = list(sides)
    exclude = tuple(exclude)
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    written, skipped = 0, {}
    for path in sorted(p for p in Path(photos).rglob("*") if p.suffix.lower() in IMAGE_EXTS):
        if exclude and path.name.startswith(exclude):
            continue
        rgb = decode_image(path).rgb
        scale = min(1.0, MAX_SIDE / max(rgb.shape[:2]))
        if scale < 1:
            size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        views = view_probabilities(segmenter, rgb, sides)
        doubt = _doubt(views.mean(axis=0))
        if doubt:
            skipped[path.name] = doubt
            continue
        mask = agreed_label(views, sure, studio_backdrop(rgb))
        Image.fromarray(rgb).save(out / "images" / f"{path.stem}.jpg", quality=95)
        Image.fromarray(mask).save(out / "masks" / f"{path.stem}.png")
        written += 1
    return PseudoLabelReport(written, skipped)
