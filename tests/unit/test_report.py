"""The HTML evaluation report: metrics table and example strips that show the errors."""

import cv2
import numpy as np

from skucut.metrics import evaluate_dataset
from skucut.metrics.report import example_strip, write_report


def test_report_lists_worst_examples_with_error_strips(pair_folder, tmp_path):
    def predict(rgb):  # a predictor that misses the right half of every object
        pred = (rgb.mean(axis=2) > 120).astype(np.float32)
        pred[:, rgb.shape[1] // 2 :] = 0
        return pred

    rows = evaluate_dataset(predict, pair_folder)
    index = write_report(predict, {"discs": (str(pair_folder), rows)}, tmp_path, "test", 3, 2)
    page = index.read_text()
    assert "<td>discs</td><td>12</td>" in page and page.count("<figure>") == 5
    worst = min(rows, key=lambda r: r["iou"])
    strip = cv2.imread(str(tmp_path / f"discs-{worst['name']}.jpg"))
    assert strip.shape == (240, 960, 3)


def test_error_overlay_colours():
    rgb = np.zeros((10, 10, 3), np.uint8)
    gt = np.zeros((10, 10), np.uint8)
    gt[:, :5] = 255
    pred = np.zeros((10, 10), np.float32)
    pred[:, 3:8] = 1  # columns 5-7: background kept; columns 0-2: product dropped
    strip = example_strip(rgb, pred, gt)
    errors = strip[:, 720:]
    assert tuple(errors[100, 170]) == (230, 40, 40)  # background kept -> red
    assert tuple(errors[100, 20]) == (40, 90, 230)  # product dropped -> blue
