"""Which working size pays: a model's dev-set accuracy and latency at several input sizes.

    python bench/working_size.py MODEL --sizes 256 320 384 448 [--data DIR ...] [--runs 10]

The network is fully convolutional, so one file runs at any multiple of its stride; the
model's ModelCfg says the size it ships with. Prints, per size: median latency (onnxruntime,
all cores) and the raw model's IoU / S / BF1 on each dev set at original resolution.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from skucut._system import usable_cores
from skucut.metrics import evaluate_dataset, summarize
from skucut.optimize.ladder import session_ms
from skucut.runtime import Segmenter

DEV = Path(__file__).resolve().parents[2] / "shared/data/eval"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--sizes", type=int, nargs="+", required=True)
    parser.add_argument("--data", nargs="+", type=Path,
                        default=[DEV / n for n in ("products-dev", "msra-dev", "pascals-dev")])  # fmt: skip
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    from skucut.catalog import resolve_model

    segmenter = Segmenter(resolve_model(args.model), threads=usable_cores())
    shipped = segmenter.cfg.input_size
    print(f"{args.model}: ships at {shipped} px; {usable_cores()} threads")
    print("| size | ms | " + " | ".join(f"{d.name} IoU / S / BF1" for d in args.data) + " |")
    print("|---" * (2 + len(args.data)) + "|")
    for size in args.sizes:
        segmenter.cfg = dataclasses.replace(segmenter.cfg, input_size=size)
        ms = session_ms(segmenter.session, size, args.runs)
        cells = []
        for data in args.data:
            m = summarize(evaluate_dataset(segmenter.predict, data))
            cells.append(f"{m['iou']:.4f} / {m['s_measure']:.4f} / {m['boundary_f1']:.3f}")
        mark = " (shipped)" if size == shipped else ""
        print(f"| {size}{mark} | {ms:.1f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
