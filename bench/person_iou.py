"""The person map measured: IoU on ccp's held-out photos, and how much of the subject it calls
person on photos with no person at all.

    python bench/person_iou.py --models skucut-quality-v2 models/skucut-quality-v3/model.onnx \
        [--ccp ../shared/data/train/ccp --holdout 60] [--no-people runs/data/products-dev-nopeople]

IoU: the person map (> 0.5, at the photo's size) against ccp's skin and hair labels on the last
``--holdout`` ccp photos, the ones the training configs hold out (ignore pixels left out),
summed over the photos. False person: on a set of photos without people, the share of the
subject mask the map calls person, mean and share of photos above 5%.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from skucut.data.pairs import IGNORE, find_pairs, load_pair
from skucut.pipeline import load_segmenter

DATA = Path(__file__).resolve().parents[2] / "shared/data"


def person_map(segmenter, rgb: np.ndarray) -> np.ndarray:
    person = segmenter.maps(rgb)["person"]
    return segmenter.postprocess(person, *rgb.shape[:2]) > 0.5


def holdout_iou(segmenter, ccp: Path, holdout: int) -> float:
    inter = union = 0
    for image, mask in find_pairs(ccp)[-holdout:]:
        pair = load_pair(image, mask)
        known = pair.person != IGNORE
        truth, said = pair.person == 255, person_map(segmenter, pair.image)
        inter += int((truth & said & known).sum())
        union += int(((truth | said) & known).sum())
    return inter / max(union, 1)


def false_person(segmenter, folder: Path) -> tuple[float, float]:
    shares = []
    for image, mask in find_pairs(folder):
        rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
        subject = cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE) == 255
        shares.append(float(person_map(segmenter, rgb)[subject].mean()) if subject.any() else 0)
    return float(np.mean(shares)), float(np.mean(np.array(shares) > 0.05))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--ccp", type=Path, default=DATA / "train/ccp")
    parser.add_argument("--holdout", type=int, default=60)
    parser.add_argument("--no-people", type=Path, default=Path("runs/data/products-dev-nopeople"))
    args = parser.parse_args()
    print(f"| model | person IoU, {args.holdout} held-out ccp photos | {args.no_people.name}: "
          "mean share of the subject called person | photos above 5% |")  # fmt: skip
    print("|---|---|---|---|")
    for model in args.models:
        segmenter = load_segmenter(model)
        iou = holdout_iou(segmenter, args.ccp, args.holdout)
        mean, above = false_person(segmenter, args.no_people)
        print(f"| {model} | {iou:.3f} | {mean:.1%} | {above:.0%} |", flush=True)


if __name__ == "__main__":
    main()
