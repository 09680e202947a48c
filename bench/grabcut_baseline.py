"""The classical reference: OpenCV GrabCut from a rectangle inset 4% from each border.

Prints the same metrics as `skucut eval` on each dev set, so the two tables compare directly.

    python bench/grabcut_baseline.py ../shared/data/eval/msra-dev ../shared/data/eval/pascals-dev ../shared/data/eval/grabcut-dev
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from skucut.metrics import evaluate_dataset, table_header, table_row


def grabcut_predict(rgb: np.ndarray, inset: float = 0.04, iterations: int = 5) -> np.ndarray:
    h, w = rgb.shape[:2]
    dx, dy = max(1, round(w * inset)), max(1, round(h * inset))
    rect = (dx, dy, w - 2 * dx, h - 2 * dy)
    mask = np.zeros((h, w), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    cv2.grabCut(
        cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
        mask,
        rect,
        bgd,
        fgd,
        iterations,
        cv2.GC_INIT_WITH_RECT,
    )
    return np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)


def main(dirs: list[str]) -> None:
    print(table_header())
    for d in dirs:
        rows = evaluate_dataset(
            grabcut_predict, d, Path("eval-results/grabcut") / f"{Path(d).name}.csv"
        )
        print(table_row(Path(d).name, rows))


if __name__ == "__main__":
    main(sys.argv[1:])
