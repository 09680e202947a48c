"""How well the per-image confidence ranks bad cutouts, on the dev sets.

    python bench/confidence.py [--model M] [--data DIR ...] [--flag 0.2] [--bad 0.8]

For every image: the model's confidence (skucut.review.confidence of its raw probability) and
the IoU of the cutout `skucut remove` writes by default (refine fast, clean-up). If the lowest
``--flag`` share of confidences is flagged for review: which share of the bad cutouts
(IoU < ``--bad``) is caught, and which share of the flagged ones were fine. Also the
confidence at that quantile (what skucut.review.REVIEW_BELOW should be) and the share that
REVIEW_BELOW flags as shipped.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from skucut.metrics.evaluate import _pairs
from skucut.metrics.measures import iou
from skucut.pipeline import load_segmenter
from skucut.refine import refine_alpha
from skucut.review import REVIEW_BELOW, confidence

DEV = Path(__file__).resolve().parents[2] / "shared/data/eval"


def scores(model: str | None, root: Path) -> list[tuple[str, float, float]]:
    segmenter = load_segmenter(model)
    rows = []
    for image_path, mask_path in _pairs(root):
        rgb = cv2.cvtColor(cv2.imread(str(image_path)), cv2.COLOR_BGR2RGB)
        gt = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        prob = segmenter.probability(rgb)
        alpha = refine_alpha(rgb, prob, "fast", True)
        rows.append((image_path.stem, confidence(prob), iou(alpha, gt)))
    return rows


def ranking(rows, flag: float, bad: float) -> dict:
    conf = np.array([r[1] for r in rows])
    ious = np.array([r[2] for r in rows])
    cut = np.quantile(conf, flag)
    flagged, is_bad = conf <= cut, ious < bad
    return {
        "n": len(rows),
        "bad": int(is_bad.sum()),
        "flagged": int(flagged.sum()),
        "caught": (flagged & is_bad).sum() / max(1, is_bad.sum()),
        "fine_flagged": (flagged & ~is_bad).sum() / max(1, flagged.sum()),
        "threshold": float(cut),
        "shipped_flags": float((conf < REVIEW_BELOW).mean()),
        "shipped_caught": ((conf < REVIEW_BELOW) & is_bad).sum() / max(1, is_bad.sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--data", nargs="+", type=Path,
                        default=[DEV / n for n in ("products-dev", "msra-dev", "pascals-dev")])  # fmt: skip
    parser.add_argument("--flag", type=float, default=0.2, help="share flagged for review")
    parser.add_argument("--bad", type=float, default=0.8, help="IoU under which a cutout is bad")
    args = parser.parse_args()
    every = []
    print(
        f"model: {args.model or 'default'}; flag the lowest {args.flag:.0%}; bad = IoU < {args.bad}"
    )
    print("| set | n | bad | flagged | bad caught | flagged but fine | confidence cut | "
          f"REVIEW_BELOW={REVIEW_BELOW} flags | it catches |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for root in args.data:
        rows = scores(args.model, root)
        every += rows
        _print(root.name, ranking(rows, args.flag, args.bad))
    _print("all", ranking(every, args.flag, args.bad))


def _print(name: str, r: dict) -> None:
    print(f"| {name} | {r['n']} | {r['bad']} | {r['flagged']} | {r['caught']:.0%} | "
          f"{r['fine_flagged']:.0%} | {r['threshold']:.3f} | {r['shipped_flags']:.0%} | "
          f"{r['shipped_caught']:.0%} |")  # fmt: skip


if __name__ == "__main__":
    main()
