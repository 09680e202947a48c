"""Per-image measures. IoU, MAE and boundary F1 skip ignore pixels exactly; the SOD measures
(pysodmetrics) take whole images, so ignore pixels are set to background in both inputs there.
"""

from __future__ import annotations

import warnings

import cv2
import numpy as np

IGNORE = 128


def _check(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.shape != gt.shape:
        raise ValueError(f"pred {pred.shape} and gt {gt.shape} must have the same HxW shape")


def iou(pred: np.ndarray, gt: np.ndarray, threshold: float = 0.5) -> float:
    _check(pred, gt)
    valid = gt != IGNORE
    p, g = (pred >= threshold) & valid, (gt > IGNORE) & valid
    union = np.count_nonzero(p | g)
    return 1.0 if union == 0 else np.count_nonzero(p & g) / union


def mae(pred: np.ndarray, gt: np.ndarray) -> float:
    _check(pred, gt)
    valid = gt != IGNORE
    if not valid.any():
        return 0.0
    return float(np.abs(pred[valid] - (gt[valid] > IGNORE)).mean())


def _edges(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)) > 0


def boundary_f1(pred: np.ndarray, gt: np.ndarray, tolerance: float = 0.0075) -> float:
    """Boundary F-measure (as in DAVIS / BF score): edge pixels matched within a tolerance of
    ``tolerance`` x image diagonal. Predicted edges inside the ignore band count as matched."""
    _check(pred, gt)
    d = max(1.0, tolerance * float(np.hypot(*gt.shape)))
    pred_edge = _edges(pred >= 0.5)
    gt_edge = _edges(gt > IGNORE)
    if not pred_edge.any() and not gt_edge.any():
        return 1.0
    if not pred_edge.any() or not gt_edge.any():
        return 0.0

    def distance_to(edges: np.ndarray) -> np.ndarray:
        return cv2.distanceTransform((~edges).astype(np.uint8), cv2.DIST_L2, 3)

    hit_pred = (distance_to(gt_edge) <= d) | (gt == IGNORE)
    precision = np.count_nonzero(hit_pred & pred_edge) / np.count_nonzero(pred_edge)
    recall = np.count_nonzero((distance_to(pred_edge) <= d) & gt_edge) / np.count_nonzero(gt_edge)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def sod_measures(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """S-measure, max F-measure and weighted F-measure from pysodmetrics."""
    import py_sod_metrics as sod

    _check(pred, gt)
    ignore = gt == IGNORE
    p = np.round(np.clip(pred, 0, 1) * 255).astype(np.uint8)
    g = np.where(gt > IGNORE, 255, 0).astype(np.uint8)
    p[ignore] = 0
    g[ignore] = 0
    with warnings.catch_warnings():  # Fmeasure warns about a future rename; the maths is the same
        warnings.simplefilter("ignore", UserWarning)
        s, f, wf = sod.Smeasure(), sod.Fmeasure(), sod.WeightedFmeasure()
    for m in (s, f, wf):
        m.step(pred=p, gt=g)
    return {
        "s_measure": float(s.get_results()["sm"]),
        "max_f": float(f.get_results()["fm"]["curve"].max()),
        "weighted_f": float(wf.get_results()["wfm"]),
    }
