"""Known-truth benchmark of ``--enhance auto``: colour error of the product before and after.

    python bench/enhance.py [--limit N] [--seed 0] [--true-alpha] [--timing-runs 5]

Every shared studio cutout (``/work/shared/data/cutouts``, true colours) is composited onto a
neutral studio backdrop (white to light grey, sRGB 225-250, with a sweep's top-to-bottom
gradient), and three photos are made of it:

- cast: a light of 2500-9000 K (uniform in mired) seen by a camera white-balanced for D65 (a
  CAT02 von Kries adaptation from D65 to the Planckian white, so not the per-channel gain that
  the correction uses), an exposure shift of -1.5..+0.7 stops (values clip at white), phone
  noise (signal-dependent, in linear light, slightly correlated as demosaicing leaves it), JPEG
  q90;
- clean: the composite as it is, JPEG q92 (needs nothing);
- coloured: the cutout on a plain coloured backdrop (pink, mint, sky blue, yellow, red, teal,
  purple, dark grey), JPEG q92 (must be left alone).

The alpha comes from the default model through the pipeline's own ``predict_alpha``
(``--true-alpha``: the cutout's alpha, to separate enhancement from segmentation), and
``skucut.enhance.enhance_photo`` runs on it with every step. The error is the mean CIEDE2000
over the product's opaque pixels (true alpha >= 250, 2 px in from the edge) against the
composite. Cost: the enhancement's median time as a share of a whole ``remove_bytes`` call
(decode, model, refine, encode) on photos of 1000 px, on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.enhance import STEPS, TO_LINEAR, enhance_photo, planck_xy, to_srgb
from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, predict_alpha, remove_bytes

CUTOUTS = Path("/work/shared/data/cutouts")
COLOURED = {
    "pink": (240, 190, 200),
    "mint": (190, 230, 200),
    "sky blue": (150, 200, 240),
    "yellow": (245, 225, 120),
    "red": (200, 40, 45),
    "teal": (20, 130, 140),
    "purple": (120, 80, 160),
    "dark grey": (60, 60, 60),
}
SIDE = 640  # composites' longer side (the timing uses 1000 px)

# --- colour science ---------------------------------------------------------------------------

RGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)
CAT02 = np.array([[0.7328, 0.4296, -0.1624], [-0.7036, 1.6975, 0.0061], [0.0030, 0.0136, 0.9834]])
D65 = RGB_TO_XYZ @ np.ones(3)


def cast_matrix(kelvin: float) -> np.ndarray:
    """Linear-sRGB 3x3: a camera balanced for D65 under a Planckian light of ``kelvin``."""
    x, y = planck_xy(kelvin)
    white = np.array([x / y, 1.0, (1 - x - y) / y])
    lms = np.diag((CAT02 @ white) / (CAT02 @ D65))
    xyz = np.linalg.inv(CAT02) @ lms @ CAT02
    return np.linalg.inv(RGB_TO_XYZ) @ xyz @ RGB_TO_XYZ


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    xyz = TO_LINEAR[rgb] @ RGB_TO_XYZ.T / D65
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], -1)  # fmt: skip


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 (Sharma, Wu & Dalal 2005) between N x 3 Lab arrays."""
    l1, a1, b1 = lab1.T
    l2, a2, b2 = lab2.T
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lp, cp = (l1 + l2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hp = np.where(
        c1p * c2p == 0,
        hsum,
        np.where(
            np.abs(h1p - h2p) <= 180, hsum / 2, np.where(hsum < 360, hsum + 360, hsum - 360) / 2
        ),
    )
    t = (1 - 0.17 * np.cos(np.radians(hp - 30)) + 0.24 * np.cos(np.radians(2 * hp))
         + 0.32 * np.cos(np.radians(3 * hp + 6)) - 0.20 * np.cos(np.radians(4 * hp - 63)))  # fmt: skip
    d_theta = 30 * np.exp(-(((hp - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp**7 / (cp**7 + 25.0**7))
    sl = 1 + 0.015 * (lp - 50) ** 2 / np.sqrt(20 + (lp - 50) ** 2)
    sc, sh = 1 + 0.045 * cp, 1 + 0.015 * cp * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    return np.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2
                   + rt * (dcp / sc) * (dhp / sh))  # fmt: skip


def delta_e(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    return float(ciede2000(srgb_to_lab(a[where]), srgb_to_lab(b[where])).mean())


# --- photos -----------------------------------------------------------------------------------


def load_cutouts(limit: int | None) -> list[tuple[str, np.ndarray]]:
    files = sorted(p for p in CUTOUTS.rglob("*") if p.suffix.lower() in (".png", ".webp"))
    out = []
    for path in files[:limit] if limit else files:
        image = Image.open(path).convert("RGBA")
        image.thumbnail((int(SIDE * 0.75), int(SIDE * 0.75)), Image.LANCZOS)
        out.append((path.stem, np.asarray(image)))
    return out


def studio_backdrop(shape: tuple[int, int], level: float, rng) -> np.ndarray:
    """A sweep: brighter at the top, falling off by up to 12 levels, grey (R = G = B)."""
    h, w = shape
    fall = rng.uniform(0, 12)
    column = level - fall * np.linspace(0, 1, h) ** 1.5
    return np.repeat(np.repeat(column[:, None, None], w, 1), 3, 2)


def composite(cutout: np.ndarray, backdrop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cutout centred on the backdrop (sRGB blend, as a shot has it) and its true alpha."""
    h, w = backdrop.shape[:2]
    ch, cw = cutout.shape[:2]
    y, x = (h - ch) // 2, (w - cw) // 2
    alpha = np.zeros((h, w), np.float64)
    alpha[y : y + ch, x : x + cw] = cutout[..., 3] / 255
    fg = np.zeros_like(backdrop)
    fg[y : y + ch, x : x + cw] = cutout[..., :3]
    out = fg * alpha[..., None] + backdrop * (1 - alpha[..., None])
    return np.clip(np.round(out), 0, 255).astype(np.uint8), np.round(alpha * 255).astype(np.uint8)


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    _, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, quality])  # fmt: skip
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def degrade(rgb: np.ndarray, kelvin: float, ev: float, noise: float, rng) -> np.ndarray:
    linear = TO_LINEAR[rgb] @ cast_matrix(kelvin).T * 2.0**ev
    linear = np.clip(linear, 0, 1)
    sigma = np.sqrt(noise * linear + noise / 20)  # Poisson-Gaussian, in linear light
    grain = cv2.GaussianBlur(rng.standard_normal(linear.shape).astype(np.float32), (0, 0), 0.5)
    linear = np.clip(linear + 1.6 * sigma * grain, 0, 1)  # (x1.6: the blur's lost amplitude)
    return jpeg(np.round(to_srgb(linear) * 255).astype(np.uint8), 90)


def make_photos(cutouts, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    photos = []
    for name, cutout in cutouts:
        ch, cw = cutout.shape[:2]
        shape = (int(ch / rng.uniform(0.6, 0.8)), int(cw / rng.uniform(0.6, 0.8)))
        level = rng.uniform(225, 250)
        truth, alpha = composite(cutout, studio_backdrop(shape, level, rng))
        mired = rng.uniform(1e6 / 9000, 1e6 / 2500)
        kelvin, ev = 1e6 / mired, rng.uniform(-1.5, 0.7)
        noise = rng.uniform(1e-4, 1e-3)
        photos.append(dict(set="cast", name=name, truth=truth, alpha=alpha, kelvin=kelvin, ev=ev,
                           photo=degrade(truth, kelvin, ev, noise, rng)))  # fmt: skip
        photos.append(dict(set="clean", name=name, truth=truth, alpha=alpha,
                           photo=jpeg(truth, 92)))  # fmt: skip
        colour = list(COLOURED)[len(photos) // 2 % len(COLOURED)]
        plain = np.broadcast_to(np.array(COLOURED[colour], np.float64), (*shape, 3))
        truth, alpha = composite(cutout, plain)
        photos.append(dict(set="coloured", name=name, truth=truth, alpha=alpha, colour=colour,
                           photo=jpeg(truth, 92)))  # fmt: skip
    return photos


# --- measuring --------------------------------------------------------------------------------


def model_alpha(rgb: np.ndarray) -> np.ndarray:
    decoded = decode_image(cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes())
    return predict_alpha(decoded, RemoveOptions())[0]


def evaluate(photos: list[dict], true_alpha: bool) -> None:
    steps = frozenset(STEPS)
    for i, p in enumerate(photos):
        alpha = p["alpha"] if true_alpha else model_alpha(p["photo"])
        p["after"], p["report"] = enhance_photo(p["photo"], alpha, steps)
        inside = cv2.erode((p["alpha"] >= 250).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        p["before_de"] = delta_e(p["photo"], p["truth"], inside)
        p["after_de"] = delta_e(p["after"], p["truth"], inside)
        p["moved_de"] = delta_e(p["after"], p["photo"], inside)
        if (i + 1) % 30 == 0:
            print(f"  {i + 1}/{len(photos)} photos", file=sys.stderr)


def row(label: str, photos: list[dict]) -> str:
    if not photos:
        return f"| {label} | 0 | | | | | |"
    before = float(np.mean([p["before_de"] for p in photos]))
    after = float(np.mean([p["after_de"] for p in photos]))
    moved = float(np.mean([p["moved_de"] for p in photos]))
    change = (after - before) / before * 100 if before else 0.0
    corrected = sum(p["report"].changed for p in photos)
    return (
        f"| {label} | {len(photos)} | {before:.2f} | {after:.2f} | {change:+.0f}% | {moved:.2f} "
        f"| {corrected} |"
    )


def timing(cutouts, runs: int) -> tuple[float, float]:
    """Median ms of enhance_photo and of a whole remove_bytes at 1000 px (5 photos)."""
    rng = np.random.default_rng(1)
    enhance_ms, remove_ms = [], []
    for _, cutout in cutouts[:5]:
        image = Image.fromarray(cutout)
        image.thumbnail((750, 750), Image.LANCZOS)
        cutout = np.asarray(image)
        truth, _ = composite(cutout, studio_backdrop((1000, 1000), 240, rng))
        photo = degrade(truth, 3200, -1.0, 5e-4, rng)
        data = cv2.imencode(".jpg", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))[1].tobytes()
        alpha = model_alpha(photo)
        for _ in range(runs):
            start = time.perf_counter()
            enhance_photo(photo, alpha, frozenset(STEPS))
            enhance_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            remove_bytes(data, RemoveOptions())
            remove_ms.append((time.perf_counter() - start) * 1000)
    return statistics.median(enhance_ms), statistics.median(remove_ms)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="first N cutouts (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--true-alpha", action="store_true", help="the cutout's alpha, not the model's")
    ap.add_argument("--timing-runs", type=int, default=5, help="0: skip the timing")
    args = ap.parse_args()

    cutouts = load_cutouts(args.limit)
    photos = make_photos(cutouts, args.seed)
    evaluate(photos, args.true_alpha)
    by_set = {s: [p for p in photos if p["set"] == s] for s in ("cast", "clean", "coloured")}
    cast = by_set["cast"]
    alpha = "true alpha" if args.true_alpha else "default model's alpha"
    print(f"\n{len(cutouts)} cutouts, seed {args.seed}, {alpha}; mean CIEDE2000 of the product")
    print("| photos | n | ΔE before | ΔE after | change | ΔE moved | enhanced |")
    print("|---|---|---|---|---|---|---|")
    print(row("cast 2500-9000 K, -1.5..+0.7 EV, noise", cast))
    print(row("  of which warm (< 5000 K)", [p for p in cast if p["kelvin"] < 5000]))
    print(row("  of which cool (>= 5000 K)", [p for p in cast if p["kelvin"] >= 5000]))
    print(row("  of which under-exposed (< -0.3 EV)", [p for p in cast if p["ev"] < -0.3]))
    print(row("  of which over-exposed (> +0.3 EV)", [p for p in cast if p["ev"] > 0.3]))
    print(row("needs nothing (neutral, JPEG q92)", by_set["clean"]))
    print(row("coloured backdrop", by_set["coloured"]))
    for colour in COLOURED:
        print(row(f"  {colour}", [p for p in by_set["coloured"] if p["colour"] == colour]))
    worst = max(by_set["coloured"], key=lambda p: p["moved_de"])
    print(f"\ncoloured backdrop moved most: {worst['name']} on {worst['colour']} "
          f"({worst['moved_de']:.2f}: {worst['report'].summary()})")  # fmt: skip
    notes: dict[str, int] = {}
    for p in photos:
        for note in filter(None, p["report"].note.split("; ")):
            key = f"{p['set']}: {note.split(' (')[0]}"
            notes[key] = notes.get(key, 0) + 1
    print("left alone because: " + ", ".join(f"{k} x{n}" for k, n in sorted(notes.items())))
    if args.timing_runs:
        enhance_ms, remove_ms = timing(cutouts, args.timing_runs)
        print(
            f"\ncost at 1000 px: enhance {enhance_ms:.0f} ms of a {remove_ms:.0f} ms photo "
            f"(remove_bytes, default model) = {enhance_ms / remove_ms:.1%} (medians; this "
            "machine's 2 cores are shared with a training run)"
        )


if __name__ == "__main__":
    main()
