"""Evaluate any predictor (RGB uint8 -> alpha in [0, 1]) over an images/ + masks/ folder."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from skucut.metrics.measures import boundary_f1, iou, mae, sod_measures

COLUMNS = ("iou", "mae", "s_measure", "max_f", "weighted_f", "boundary_f1")


def _pairs(root: Path) -> list[tuple[Path, Path]]:
    masks = {p.stem: p for p in (root / "masks").glob("*.png")}
    return [(p, masks[p.stem]) for p in sorted((root / "images").iterdir()) if p.stem in masks]


def labelled_images(root: str | Path) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(name, RGB, mask) of each images/ + masks/ pair under ``root``, read with OpenCV like
    the training data, with a progress bar."""
    root = Path(root)
    pairs = _pairs(root)
    if not pairs:
        raise FileNotFoundError(f"no images/ + masks/ pairs under {root}")
    for image_path, mask_path in tqdm(
        pairs, desc=root.name, leave=False, disable=None
    ):  # bar: terminal only
        rgb = cv2.cvtColor(cv2.imread(str(image_path)), cv2.COLOR_BGR2RGB)
        yield image_path.stem, rgb, cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)


def evaluate_dataset(
    predict: Callable[[np.ndarray], np.ndarray],
    root: str | Path,
    csv_path: str | Path | None = None,
) -> list[dict]:
    """Per-image metric rows at original resolution; optionally written to ``csv_path``.

    Images are read with OpenCV like the training data; the maximum F-measure is computed per
    image and averaged (the dataset-level curve differs slightly).
    """
    rows = []
    for name, rgb, gt in labelled_images(root):
        pred = predict(rgb).astype(np.float32)
        row = {"name": name, "iou": iou(pred, gt), "mae": mae(pred, gt)}
        row.update(sod_measures(pred, gt))
        row["boundary_f1"] = boundary_f1(pred, gt)
        rows.append(row)
    if csv_path:
        Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
        with open(csv_path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=["name", *COLUMNS])
            writer.writeheader()
            writer.writerows(rows)
    return rows


def summarize(rows: list[dict]) -> dict[str, float]:
    return {k: float(np.mean([r[k] for r in rows])) for k in COLUMNS}


_HEADINGS = ("IoU", "MAE", "S", "maxF", "wF", "BF1")


def table_header() -> str:
    return f"{'dataset':<14}{'n':>5}" + "".join(f"{h:>10}" for h in _HEADINGS)


def table_row(name: str, rows: list[dict]) -> str:
    summary = summarize(rows)
    return f"{name:<14}{len(rows):>5}" + "".join(f"{summary[k]:>10.4f}" for k in COLUMNS)
