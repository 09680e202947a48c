"""Self-training data: a trained model labels unlabeled photos, keeping only what it is sure of.

Each photo gets a mask of 255 where the model's probability is at least ``sure``, 0 where it
is at most 1 - ``sure``, and 128 (ignored by training) in between; a photo whose cutout needs
review (low confidence, empty, tiny) is left out entirely. Never point this at an eval set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.io.decode import IMAGE_EXTS, decode_image
from skucut.review import review_cutout
from skucut.runtime import Segmenter

MAX_SIDE = 640  # pairs are stored at most this big: training keeps them smaller still


@dataclass(frozen=True)
class PseudoLabelReport:
    written: int
    skipped: dict[str, str]  # photo name -> why it was left out


def pseudo_label(
    model: str | Path, photos: str | Path, out: str | Path, sure: float = 0.9
) -> PseudoLabelReport:
    if "/eval/" in f"/{Path(photos).resolve().as_posix()}/":
        raise ValueError(f"{photos} looks like an eval set: never pseudo-label what is measured")
    segmenter = Segmenter(model)
    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(exist_ok=True)
    written, skipped = 0, {}
    for path in sorted(p for p in Path(photos).rglob("*") if p.suffix.lower() in IMAGE_EXTS):
        rgb = decode_image(path).rgb
        scale = min(1.0, MAX_SIDE / max(rgb.shape[:2]))
        if scale < 1:
            size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        prob = segmenter.probability(rgb)
        full = segmenter.postprocess(prob, *rgb.shape[:2])
        review = review_cutout(prob, full)
        if review.needs_review:
            skipped[path.name] = review.reason
            continue
        mask = np.full(full.shape, 128, np.uint8)
        mask[full >= sure] = 255
        mask[full <= 1 - sure] = 0
        Image.fromarray(rgb).save(out / "images" / f"{path.stem}.jpg", quality=95)
        Image.fromarray(mask).save(out / "masks" / f"{path.stem}.png")
        written += 1
    return PseudoLabelReport(written, skipped)
