"""The robustness benchmark: a predictor's IoU and boundary F1 on a dev set, clean and under
each corruption at each severity, and how much each costs against clean.

An image's corruptions are seeded by its name, so every model meets the same corrupted photos.
Adversarial rows come from ``attack(rgb, gt, severity) -> alpha``: it needs the model's
gradients, so the caller supplies it (``skucut.train.adversarial``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from skucut.metrics.corrupt import SEVERITIES, corrupt, describe
from skucut.metrics.evaluate import labelled_images
from skucut.metrics.measures import boundary_f1, iou

CLEAN = "clean"
ADVERSARIAL = "adversarial"
MEASURES = ("iou", "bf1")


def _scores(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    pred = pred.astype(np.float32)
    return {"iou": iou(pred, gt), "bf1": boundary_f1(pred, gt)}


def robustness_rows(
    predict: Callable[[np.ndarray], np.ndarray],
    root: str | Path,
    corruptions: list[str],
    attack: Callable[[np.ndarray, np.ndarray, int], np.ndarray] | None = None,
    seed: int = 0,
) -> list[dict]:
    """One row per (image, condition): name, corruption, severity (0 = clean), iou, bf1."""
    rows = []
    for name, rgb, gt in labelled_images(root):
        image_seed = zlib.crc32(name.encode()) ^ seed
        rows.append({"name": name, "corruption": CLEAN, "severity": 0, **_scores(predict(rgb), gt)})
        for corruption in corruptions:
            for severity in SEVERITIES:
                image, mask = corrupt(corruption, rgb, gt, severity, image_seed)
                scores = _scores(predict(image), mask)
                rows.append(
                    {"name": name, "corruption": corruption, "severity": severity, **scores}
                )
        for severity in SEVERITIES if attack else ():
            scores = _scores(attack(rgb, gt, severity), gt)
            rows.append({"name": name, "corruption": ADVERSARIAL, "severity": severity, **scores})
    return rows


def summarize_robustness(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Mean scores per condition ("clean", "jpeg/1", ...), their drops from clean, and
    "corrupted": the mean over every common corruption and severity (adversarial apart)."""
    conditions: dict[str, list[dict]] = {}
    for row in rows:
        key = row["corruption"] if not row["severity"] else f"{row['corruption']}/{row['severity']}"
        conditions.setdefault(key, []).append(row)
    means = {
        key: {m: float(np.mean([r[m] for r in group])) for m in MEASURES}
        for key, group in conditions.items()
    }
    common = [r for r in rows if r["corruption"] not in (CLEAN, ADVERSARIAL)]
    if common:
        means["corrupted"] = {m: float(np.mean([r[m] for r in common])) for m in MEASURES}
    clean = means[CLEAN]
    for key, values in means.items():
        if key != CLEAN:
            values.update({f"d_{m}": values[m] - clean[m] for m in MEASURES})
    return means


def robustness_table(
    name: str, summary: dict[str, dict[str, float]], n_images: int, attack_label=None
) -> str:
    """One dataset's block: a line per condition, then the mean drop over the corruptions."""
    head = f"{'corruption':<14}{'sev':>4}  {'what':<22}{'IoU':>8}{'BF1':>8}{'dIoU':>9}{'dBF1':>9}"
    lines = [f"{name} ({n_images} images)", head]

    def line(label: str, severity: str, what: str, values: dict[str, float]) -> str:
        text = f"{label:<14}{severity:>4}  {what:<22}{values['iou']:>8.4f}{values['bf1']:>8.4f}"
        if "d_iou" in values:
            text += f"{values['d_iou']:>+9.4f}{values['d_bf1']:>+9.4f}"
        return text

    lines.append(line(CLEAN, "-", "", summary[CLEAN]))
    for key, values in summary.items():
        if "/" not in key:
            continue
        corruption, severity = key.split("/")
        if corruption == ADVERSARIAL:
            what = attack_label(int(severity)) if attack_label else ""
        else:
            what = describe(corruption, int(severity))
        lines.append(line(corruption, severity, what, values))
    if "corrupted" in summary:
        lines.append(line("mean", "all", "common corruptions", summary["corrupted"]))
    return "\n".join(lines)
