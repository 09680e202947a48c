"""Segmentation metrics on numpy arrays, computed at the image's own resolution.

``pred`` is a float alpha in [0, 1]; ``gt`` the 0/128/255 mask. Pixels where gt == 128 are
ignored by every measure.
"""

from skucut.metrics.evaluate import evaluate_dataset, summarize, table_header, table_row
from skucut.metrics.measures import boundary_f1, iou, mae, sod_measures

__all__ = [
    "boundary_f1",
    "evaluate_dataset",
    "iou",
    "mae",
    "sod_measures",
    "summarize",
    "table_header",
    "table_row",
]
