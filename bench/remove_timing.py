"""Timing of `skucut remove` on the example photo: whole CLI process and in-process stages.

    python bench/remove_timing.py [--runs 7] [--model NAME]

Prints medians (this machine is noisy); the CLI time includes Python start-up and model load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from skucut.io import decode_image, encode_cutout
from skucut.pipeline import cut, load_segmenter

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coffee.jpg"


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--model", default=None)
    parser.add_argument("--image", default=str(EXAMPLE))
    args = parser.parse_args()
    data = Path(args.image).read_bytes()
    model_args = ["-m", args.model] if args.model else []

    with tempfile.TemporaryDirectory() as tmp:
        cli_ms = median_ms(
            lambda: subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "skucut.cli",
                    "remove",
                    args.image,
                    "-o",
                    tmp,
                    *model_args,
                ],
                check=True,
            ),
            args.runs,
        )
    segmenter = load_segmenter(args.model)
    decoded = decode_image(data)
    alpha = cut(decoded.rgb, decoded.alpha, segmenter)
    rows = [
        ("decode", median_ms(lambda: decode_image(data), args.runs)),
        (
            "segment (pre+onnx+post)",
            median_ms(lambda: cut(decoded.rgb, decoded.alpha, segmenter), args.runs),
        ),
        ("encode png", median_ms(lambda: encode_cutout(decoded.rgb, alpha, "png"), args.runs)),
        ("CLI process, end to end", cli_ms),
    ]
    h, w = decoded.rgb.shape[:2]
    print(
        f"image {Path(args.image).name} {w}x{h}, model {segmenter.path.parent.name}, input {segmenter.cfg.input_size}px, median of {args.runs}"
    )
    print(f"{'stage':<28}{'ms':>8}")
    for name, ms in rows:
        print(f"{name:<28}{ms:>8.1f}")


if __name__ == "__main__":
    main()
