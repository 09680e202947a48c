"""Timing of `skucut remove`: whole CLI process and each in-process stage.

    python bench/remove_timing.py [--runs 7] [--model NAME] [--preset white-main]
    python bench/remove_timing.py --megapixels 24 --preset white-main   # a 24 MP photo

``--megapixels`` upscales the image (Lanczos, saved as JPEG q92) to that size first, to time a
large camera photo. Prints medians (this machine is noisy); the CLI time includes Python
start-up and model load.
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from skucut.compose import compose
from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, encode, load_segmenter, remove_bytes
from skucut.refine import estimate_foreground, refine_alpha

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coffee.jpg"


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def load(path: str, megapixels: float | None) -> bytes:
    data = Path(path).read_bytes()
    if not megapixels:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB")
    scale = (megapixels * 1e6 / (image.width * image.height)) ** 0.5
    size = (round(image.width * scale), round(image.height * scale))
    buf = io.BytesIO()
    image.resize(size, Image.LANCZOS).save(buf, "JPEG", quality=92)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--model", default=None)
    parser.add_argument("--image", default=str(EXAMPLE))
    parser.add_argument("--megapixels", type=float, default=None)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--refine", default=None)
    args = parser.parse_args()
    data = load(args.image, args.megapixels)
    options = RemoveOptions.build(args.preset, model=args.model, refine=args.refine)
    cli_args = ["--preset", args.preset] if args.preset else []
    cli_args += ["-m", args.model] if args.model else []
    cli_args += ["--refine", args.refine] if args.refine else []

    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.jpg"
        photo.write_bytes(data)
        out = Path(tmp) / "out"
        cli = [sys.executable, "-m", "skucut.cli", "remove", str(photo), "-o", str(out)]
        cli_ms = median_ms(lambda: subprocess.run([*cli, *cli_args], check=True), args.runs)

    segmenter = load_segmenter(options.model)
    decoded = decode_image(data)
    rgb = decoded.rgb
    prob = segmenter.probability(rgb)
    alpha_f = refine_alpha(rgb, prob, options.refine, options.cleanup)
    alpha = np.round(alpha_f * 255).astype(np.uint8)
    fg = estimate_foreground(rgb, alpha)
    composed = compose(fg, alpha, options.compose_options(None))
    stages = [
        ("decode", lambda: decode_image(data)),
        ("segment (model)", lambda: segmenter.probability(rgb)),
        (f"refine ({options.refine})", lambda: refine_alpha(rgb, prob, options.refine)),
        ("decontaminate", lambda: estimate_foreground(rgb, alpha)),
        ("compose", lambda: compose(fg, alpha, options.compose_options(None))),
        (f"encode {options.format}", lambda: encode(*composed, options)),
        ("all stages, in process", lambda: remove_bytes(data, options)),
    ]
    rows = [(name, median_ms(fn, args.runs)) for name, fn in stages]
    rows.append(("CLI process, end to end", cli_ms))
    h, w = rgb.shape[:2]
    print(
        f"image {Path(args.image).name} {w}x{h} ({w * h / 1e6:.1f} MP), "
        f"model {segmenter.path.parent.name} at {segmenter.cfg.input_size}px, "
        f"preset {args.preset or '-'}, median of {args.runs}"
    )
    print(f"{'stage':<28}{'ms':>9}")
    for name, ms in rows:
        print(f"{name:<28}{ms:>9.1f}")


if __name__ == "__main__":
    main()
