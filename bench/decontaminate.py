"""How well edge decontamination recovers a cutout's true colours, and what it costs.

    python bench/decontaminate.py [--n 60] [--side 1000] [--passes 128:11,512:3 512:45,512:3]

Every shared cutout carries real soft alpha over its own colours. Each is placed on a
background photo at ``--side`` px, so the photo's colour at an edge pixel is
alpha * F + (1 - alpha) * B with F known. Per work side of the smooth estimates: the mean
absolute error (0-255) of the edge pixels' colour against F (0 < alpha < 1, weighted by
alpha, as they show on a new background), against the photo left as it is, and the CPU ms per
photo (one thread). A set of passes is SIDE:RADIUS,... (``decontaminate.PASSES``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.refine import decontaminate

DATA = Path("/work/shared/data")


def scenes(n: int, side: int, seed: int = 0):
    """(photo, alpha, true foreground): a cutout scaled to fill ~70% of a background photo."""
    rng = np.random.default_rng(seed)
    cutouts = sorted(p for p in (DATA / "cutouts").glob("*/*") if p.is_file())
    backgrounds = sorted((DATA / "backgrounds").glob("*/*"))
    for path in [cutouts[k] for k in rng.permutation(len(cutouts))][:n]:
        cutout = Image.open(path).convert("RGBA")
        bg = Image.open(backgrounds[rng.integers(len(backgrounds))]).convert("RGB")
        bg = np.asarray(bg.resize((side, side * 3 // 4), Image.BILINEAR), np.float32)
        scale = 0.7 * min(side / cutout.width, side * 3 / 4 / cutout.height)
        size = (max(1, round(cutout.width * scale)), max(1, round(cutout.height * scale)))
        rgba = np.asarray(cutout.resize(size, Image.LANCZOS), np.float32)
        y, x = (bg.shape[0] - size[1]) // 2, (bg.shape[1] - size[0]) // 2
        fg = bg.copy()
        alpha = np.zeros(bg.shape[:2], np.float32)
        fg[y : y + size[1], x : x + size[0]] = rgba[..., :3]
        alpha[y : y + size[1], x : x + size[0]] = rgba[..., 3] / 255
        photo = alpha[..., None] * fg + (1 - alpha[..., None]) * bg
        yield np.round(photo).astype(np.uint8), np.round(alpha * 255).astype(np.uint8), fg


def edge_error(colours: np.ndarray, alpha: np.ndarray, fg: np.ndarray) -> float:
    edge = (alpha > 0) & (alpha < 255)
    weight = alpha[edge].astype(np.float32) / 255
    error = np.abs(colours[edge].astype(np.float32) - fg[edge]).mean(axis=1)
    return float((error * weight).sum() / weight.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--side", type=int, default=1000)
    default = ",".join(f"{side}:{radius}" for side, radius in decontaminate.PASSES)
    parser.add_argument("--passes", nargs="+", default=[default])
    args = parser.parse_args()
    cv2.setNumThreads(1)
    data = list(scenes(args.n, args.side))
    left = np.mean([edge_error(photo, alpha, fg) for photo, alpha, fg in data])
    print(f"{len(data)} cutouts at {args.side} px; edge colour error left as it is: {left:.2f}")
    print("| passes (side:radius) | edge colour error | CPU ms/photo |\n|---|---|---|")
    for passes in args.passes:
        decontaminate.PASSES = [tuple(map(int, p.split(":"))) for p in passes.split(",")]
        errors, start = [], time.process_time()
        for photo, alpha, fg in data:
            errors.append(edge_error(decontaminate.estimate_foreground(photo, alpha), alpha, fg))
        ms = (time.process_time() - start) / len(data) * 1000
        print(f"| {passes} | {np.mean(errors):.2f} | {ms:.1f} |")


if __name__ == "__main__":
    main()
