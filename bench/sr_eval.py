"""Super-resolution quality and speed: skucut's SR models against bicubic and Lanczos.

    python bench/sr_eval.py ../shared/data/eval/*-dev/images [--limit 100]

Each photo is the ground truth; its antialiased bicubic downscale (PIL) is the input. PSNR and
SSIM are computed on luma (BT.601 Y) with ``scale`` pixels shaved at the borders, as in the SR
literature. Latency: whole `upscale_rgb` (colour conversion, tiled network, chroma) per output
megapixel, median of repeated runs on a 1 MP output. Run on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.io.decode import IMAGE_EXTS
from skucut.upscale import load_upscaler


def luma(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a - b) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al. 2004 with an 11x11 Gaussian window (sigma 1.5), on 0..255 luma."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x):
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a, var_b = blur(a * a) - mu_a**2, blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float(np.mean(num / den))


def scores(out: np.ndarray, hr: np.ndarray, shave: int) -> tuple[float, float]:
    a, b = luma(out)[shave:-shave, shave:-shave], luma(hr)[shave:-shave, shave:-shave]
    return psnr(a, b), ssim(a, b)


def evaluate(folder: Path, scale: int, limit: int) -> dict[str, tuple[float, float]]:
    upscaler = load_upscaler(scale)
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)[:limit]
    results: dict[str, list[tuple[float, float]]] = {"bicubic": [], "lanczos": [], "skucut": []}
    for path in paths:
        image = Image.open(path).convert("RGB")
        w, h = (image.width // scale) * scale, (image.height // scale) * scale
        hr = image.crop((0, 0, w, h))
        lr = hr.resize((w // scale, h // scale), Image.BICUBIC)
        outputs = {
            "bicubic": np.asarray(lr.resize((w, h), Image.BICUBIC)),
            "lanczos": np.asarray(lr.resize((w, h), Image.LANCZOS)),
            "skucut": upscaler.upscale_rgb(np.asarray(lr)),
        }
        for name, out in outputs.items():
            results[name].append(scores(out, np.asarray(hr), scale))
    return {k: tuple(np.mean(v, axis=0)) for k, v in results.items()}


def ms_per_output_mp(scale: int, runs: int) -> float:
    upscaler = load_upscaler(scale)
    side = 1000 // scale
    rgb = (np.random.default_rng(0).random((side, side, 3)) * 255).astype(np.uint8)
    rgb = cv2.GaussianBlur(rgb, (0, 0), 1.0)
    upscaler.upscale_rgb(rgb)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        upscaler.upscale_rgb(rgb)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000 / ((side * scale) ** 2 / 1e6)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--scales", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--limit", type=int, default=100, help="photos per folder")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    print(f"{'set':<22}{'x':>3}{'bicubic':>16}{'lanczos':>16}{'skucut':>16}{'gain dB':>9}")
    for scale in args.scales:
        for folder in args.folders:
            r = evaluate(folder, scale, args.limit)
            cells = "".join(
                f"{r[k][0]:>9.2f} {r[k][1]:.4f}" for k in ("bicubic", "lanczos", "skucut")
            )
            name = folder.parent.name if folder.name == "images" else folder.name
            gain = r["skucut"][0] - r["bicubic"][0]
            print(f"{name:<22}{scale:>3}{cells}{gain:>9.2f}")
        print(f"x{scale}: {ms_per_output_mp(scale, args.runs):.0f} ms per output megapixel")
    print("cells: PSNR (dB, Y) and SSIM (Y)")


if __name__ == "__main__":
    main()
