"""Choose the default edge refinement by measurement: dev-set quality as cut, and CPU time.

    python bench/refine_grid.py --sets products-dev grabcut-dev msra-dev pascals-dev \
        --sizes 448 384 --modes fast learned guided quality [--refiner PATH.onnx]

A mode may also be ``gcSIDExN`` or ``gcSIDExNbBAND``: the graph cut at SIDE px with N
iterations and a band of BAND times the long side (``gc320x1`` is today's ``fast``, band
0.06; the old ``fast`` was ``gc512x2``).

Per dev set, model working size and refine mode: mean IoU and boundary F1 of the cut
(refinement + clean-up, as `skucut remove` cuts), and the refine step's mean CPU ms per image
(one thread). The model's maps are computed once per image and size and shared by the modes,
so the grid costs one forward pass per image and size.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import cv2
import numpy as np

from skucut.metrics.evaluate import labelled_images
from skucut.metrics.measures import boundary_f1, iou
from skucut.pipeline import load_segmenter
from skucut.refine import REFINE_MODES, Mode, refine_alpha
from skucut.refine.band import BAND_FRACTION

EVAL = Path("/work/shared/data/eval")
EXTRA = {"magento-dev": Path("runs/data/magento-dev")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["products-dev", "grabcut-dev"])
    parser.add_argument("--model", default="skucut-quality-v1")
    parser.add_argument("--sizes", type=int, nargs="+", default=[0], help="0: the model's own")
    parser.add_argument("--modes", nargs="+", default=["fast", "learned"])
    parser.add_argument("--refiner", help="a refiner .onnx for the learned mode")
    parser.add_argument("--tile", type=int, help="refiner tile side (default: the file's)")
    parser.add_argument("--margin", type=int, help="refiner context margin")
    parser.add_argument("--band", type=int, help="refiner band radius")
    parser.add_argument("--limit", type=int, default=0, help="first N images per set (0: all)")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    for mode in args.modes:
        if match := re.fullmatch(r"gc(\d+)x(\d+)(?:b([\d.]+))?", mode):
            band = float(match[3]) if match[3] else BAND_FRACTION
            REFINE_MODES[mode] = Mode(int(match[1]), int(match[2]), band=band)
    if "learned" in args.modes:
        from skucut.catalog import resolve_model
        from skucut.refine import learned

        path = Path(args.refiner or resolve_model(learned.DEFAULT_REFINER, "edge-refinement"))
        overrides = {k: getattr(args, k) for k in ("tile", "margin", "band")}
        overrides = {k: v for k, v in overrides.items() if v is not None}
        learned.DEFAULT_REFINER = str(path.resolve())
        runner = learned.EdgeRefinerRunner(path.resolve(), threads=1, **overrides)
        learned._RUNNERS[path.resolve()] = runner
        print(f"refiner {runner.cfg}")
    segmenter = load_segmenter(args.model, threads=1)
    print(f"model {args.model}")
    print("| set | size | mode | IoU | BF1 | refine CPU ms |")
    print("|---|---|---|---|---|---|")
    for name in args.sets:
        root = EXTRA.get(name, EVAL / name)
        scores = {}
        for k, (_, rgb, gt) in enumerate(labelled_images(root)):
            if args.limit and k >= args.limit:
                break
            for size in args.sizes:
                prob = segmenter.maps(rgb, size or None)["subject"]
                for mode in args.modes:
                    start = time.thread_time()
                    alpha = refine_alpha(rgb, prob, mode, cleanup=True)
                    spent = time.thread_time() - start
                    row = scores.setdefault((size, mode), [])
                    row.append((iou(alpha, gt), boundary_f1(alpha, gt), spent))
        for (size, mode), rows in scores.items():
            i, b, t = np.mean(rows, axis=0)
            shown = size or segmenter.cfg.input_size
            print(
                f"| {name} ({len(rows)}) | {shown} | {mode} | {i:.4f} | {b:.4f} | {1000 * t:.0f} |"
            )


if __name__ == "__main__":
    main()
