"""Batch throughput: local engine with 1 and 2 workers, Ray engine on a local 2-CPU cluster.

    python bench/batch_throughput.py [--n 100] [--side 1000] [--preset ...]

Makes ``--n`` photos of ~``--side`` px from the example photo (crops, flips, colour shifts),
runs each engine on them (outputs: cutout PNGs) and prints images/s and the ratios the
batch issue targets. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from skucut.batch.run import execute, start

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "coffee.jpg"


def make_photos(folder: Path, n: int, side: int) -> None:
    folder.mkdir(parents=True)
    base = Image.open(EXAMPLE).convert("RGB")
    rng = np.random.default_rng(0)
    for i in range(n):
        w, h = base.size
        box = (int(rng.integers(0, w // 8)), int(rng.integers(0, h // 8)), w, h)
        image = base.crop(box)
        image = ImageOps.mirror(image) if i % 2 else image
        scale = side / max(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)))
        shift = rng.integers(-12, 12, 3)
        pixels = np.clip(np.asarray(image).astype(int) + shift, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"photo{i:04d}.jpg", quality=90)


def timed_run(photos: Path, root: Path, name: str, engine: str, workers: int, options) -> float:
    state = start([str(photos)], str(root / name), options, root / f"{name}-run", 0)
    started = time.perf_counter()
    counts = execute(state, engine, workers)
    elapsed = time.perf_counter() - started
    assert counts == {"done": len(list(photos.iterdir()))}, counts
    return counts["done"] / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--side", type=int, default=1000)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    options = {"preset": args.preset} if args.preset else {}
    root = Path(tempfile.mkdtemp(prefix="skucut-bench-"))
    try:
        make_photos(root / "photos", args.n, args.side)
        rows = [
            ("local, 1 worker", timed_run(root / "photos", root, "l1", "local", 1, options)),
            ("local, 2 workers", timed_run(root / "photos", root, "l2", "local", 2, options)),
        ]
        if not args.skip_ray:
            import ray

            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            rows.append(
                ("ray, 2 actors", timed_run(root / "photos", root, "r2", "ray", 2, options))
            )
            ray.shutdown()
    finally:
        shutil.rmtree(root)
    print(f"{args.n} photos of ~{args.side} px, cutout PNG, preset {args.preset or '-'}")
    print(f"{'engine':<20}{'images/s':>10}")
    for name, rate in rows:
        print(f"{name:<20}{rate:>10.2f}")
    print(f"2 workers / 1 worker: {rows[1][1] / rows[0][1]:.2f}x (target >= 1.7x)")
    if len(rows) > 2:
        print(f"ray / local (2):      {rows[2][1] / rows[1][1]:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
