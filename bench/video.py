"""Video benchmark: synthetic clips with exact masks, cut frame by frame and with temporal
smoothing; a spin set placed with one box against per-frame placement; throughput at 720p.

    python bench/video.py [--frames 24] [--size 640x360] [--long 30] [--sheet sheet.png]

Clips: shared product cutouts (/work/shared/data/cutouts) moved over shared photos
(backgrounds/photos) and generated studio backdrops (plain, gradient): a still product, a
camera pan, a slow zoom, an in-plane rotation, a turntable-like change of width, a lighting
drift; every clip with sensor noise and written as H.264 (CRF 23) before it is cut, so the
cut sees compression artefacts. Each clip goes through ``remove_video`` end to end (PNG frames
out, lossless) with and without smoothing. Columns: mean IoU per frame against the exact mask
(alpha > 127), flicker = mean |Δalpha| (0-255) between consecutive frames over the pixels
whose noise-free colour did not change (every channel within 2 levels), and their ratio.

Spin: 24 turntable frames of a cutout on a white backdrop through ``spin_set`` (white-main)
against per-frame placement (the same preset, each frame framed on its own, as `skucut remove`
does): how far the product's box edges move between frames, in % of the canvas, on the edges
the product's own extent does not move (top, bottom, horizontal centre).

Throughput: a 1280x720 clip through ``remove_video`` to WebM with alpha, with the default
model, frame by frame and smoothed; ``--long S`` also times a whole S-second 720p clip.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.catalog import DEFAULT_MODEL
from skucut.pipeline import RemoveOptions, prepare
from skucut.video import remove_video
from skucut.video.spin import spin_set

DATA = Path("/work/shared/data")
CUTOUTS = [
    "solidus/solidus_bottles_1__0e733023.webp",
    "solidus/solidus_cap_red_2__7a5174c9.webp",
    "electro/product03__1dd54e11.webp",
    "solidus/solidus_hoodie_red_1__65eba615.webp",
    "aranoz/feature_1__e382d611.webp",
    "solidus/solidus_mug_set__ed8891e5.webp",
]
PHOTOS = [
    "backgrounds/photos/lomiri-wallpapers-16.04__Wine_by_Jakkub_Mede.jpg",
    "backgrounds/photos/lomiri-wallpapers-16.04__Bridge_by_Sander_Klootwijk.jpg",
]
MOTIONS = ("still", "pan", "zoom", "rotate", "turntable", "drift")


def load_cutout(name: str) -> tuple[np.ndarray, np.ndarray]:
    rgba = np.asarray(Image.open(DATA / "cutouts" / name).convert("RGBA"))
    return rgba[..., :3].astype(np.float32), rgba[..., 3].astype(np.float32) / 255.0


def studio(width: int, height: int, kind: str, seed: int) -> np.ndarray:
    """A generated backdrop: plain light grey, or a soft vertical gradient with vignette."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(200, 240, 3)
    if kind == "plain":
        return np.broadcast_to(base, (height, width, 3)).astype(np.float32).copy()
    ys, xs = np.mgrid[:height, :width].astype(np.float32)
    fall = 1.0 - 0.25 * (ys / height) - 0.15 * (((xs - width / 2) / width) ** 2 * 4)
    return (base[None, None] * fall[..., None]).astype(np.float32)


def backdrop(index: int, width: int, height: int) -> np.ndarray:
    """Twice the frame's size, so a camera move never runs off it."""
    if index % 3 == 2:
        photo = np.asarray(Image.open(DATA / PHOTOS[index % len(PHOTOS)]).convert("RGB"))
        return cv2.resize(photo, (2 * width, 2 * height), interpolation=cv2.INTER_AREA).astype(
            np.float32
        )
    return studio(2 * width, 2 * height, "plain" if index % 3 == 0 else "gradient", index)


def make_clip(index: int, motion: str, frames: int, width: int, height: int):
    """Clean frames (float RGB) and exact soft alphas, frame by frame."""
    rgb, alpha = load_cutout(CUTOUTS[index % len(CUTOUTS)])
    back = backdrop(index, width, height)
    ch, cw = alpha.shape
    base_scale = 0.6 * min(width / cw, height / ch)
    for t in range(frames):
        u = t / max(frames - 1, 1)
        scale_x = scale = base_scale
        angle, cam_dx, cam_zoom, gain = 0.0, 0.0, 1.0, 1.0
        if motion == "pan":
            cam_dx = 0.25 * width * u
        elif motion == "zoom":
            cam_zoom = 1.0 + 0.3 * u
        elif motion == "rotate":
            angle = 20.0 * u
        elif motion == "turntable":
            scale_x = base_scale * (0.55 + 0.45 * abs(math.cos(math.pi * u)))
        elif motion == "drift":
            gain = 1.0 - 0.25 * u
        # The scene is the backdrop (2W x 2H) with the product at its centre; the camera
        # sees a W x H window of it (pan: the window slides, zoom: it narrows).
        cam = np.float32(
            [[cam_zoom, 0, width / 2 - cam_zoom * (width + cam_dx)],
             [0, cam_zoom, height / 2 - cam_zoom * height], [0, 0, 1]]
        )  # fmt: skip
        frame = cv2.warpAffine(back, cam[:2], (width, height), flags=cv2.INTER_LINEAR)
        centre = np.float32([[1, 0, width], [0, 1, height], [0, 0, 1]])
        turn = np.vstack([cv2.getRotationMatrix2D((0, 0), angle, 1.0), [0, 0, 1]]).astype(
            np.float32
        )
        size = np.float32([[scale_x, 0, -scale_x * cw / 2], [0, scale, -scale * ch / 2], [0, 0, 1]])
        full = (cam @ centre @ turn @ size)[:2]
        fg = cv2.warpAffine(rgb, full, (width, height), flags=cv2.INTER_LINEAR)
        a = cv2.warpAffine(alpha, full, (width, height), flags=cv2.INTER_LINEAR)
        clean = (fg * a[..., None] + frame * (1 - a[..., None])) * gain
        yield np.clip(clean, 0, 255), a


def write_h264(path: Path, frames: list[np.ndarray], fps: int = 25, seed: int = 0) -> None:
    """Sensor noise, then H.264 at CRF 23 (a typical phone/web encode)."""
    import av

    rng = np.random.default_rng(seed)
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast"}
        for i, clean in enumerate(frames):
            noisy = np.clip(clean + rng.normal(0, 3.0, clean.shape), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(noisy, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())


def read_alphas(folder: Path) -> list[np.ndarray]:
    return [np.asarray(Image.open(p))[..., 3] for p in sorted(folder.glob("*.png"))]


def iou(alpha: np.ndarray, truth: np.ndarray) -> float:
    a, t = alpha > 127, truth > 0.5
    return float((a & t).sum() / max((a | t).sum(), 1))


def flicker(alphas: list[np.ndarray], clean: list[np.ndarray]) -> float:
    """Mean |Δalpha| over pixels whose noise-free colour stayed (all channels within 2)."""
    total, count = 0.0, 0
    for t in range(1, len(alphas)):
        steady = np.abs(clean[t] - clean[t - 1]).max(axis=2) <= 2.0
        diff = np.abs(alphas[t].astype(np.float32) - alphas[t - 1].astype(np.float32))
        total += float(diff[steady].sum())
        count += int(steady.sum())
    return total / max(count, 1)


def clip_table(args, work: Path, options: RemoveOptions) -> list[dict]:
    rows = []
    print(
        f"\n## Clips ({args.frames} frames, {args.size[0]}x{args.size[1]}, H.264 CRF 23, noise σ=3)\n"
    )
    print(
        "| clip | backdrop | IoU frame-by-frame | IoU smoothed | flicker frame-by-frame | flicker smoothed | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for index, motion in enumerate(MOTIONS):
        clean, truth = zip(*make_clip(index, motion, args.frames, *args.size), strict=True)
        clip = work / f"{motion}.mp4"
        write_h264(clip, list(clean), seed=index)
        result = {}
        for smooth in (False, True):
            out = work / f"{motion}-{'smooth' if smooth else 'raw'}"
            remove_video(clip, out, options, smooth=smooth)
            alphas = read_alphas(out)
            result[smooth] = (
                statistics.mean(iou(a, t) for a, t in zip(alphas, truth, strict=True)),
                flicker(alphas, list(clean)),
                alphas,
            )
        kind = ("plain", "gradient", "photo")[index % 3]
        (iou_r, fl_r, _), (iou_s, fl_s, _) = result[False], result[True]
        print(
            f"| {motion} | {kind} | {iou_r:.4f} | {iou_s:.4f} | {fl_r:.3f} | {fl_s:.3f} | {fl_s / max(fl_r, 1e-9):.2f} |"
        )
        sys.stdout.flush()
        rows.append({"motion": motion, "clean": clean, "truth": truth, "raw": result[False][2],
                     "smooth": result[True][2], "iou": (iou_r, iou_s), "flicker": (fl_r, fl_s)})  # fmt: skip
    iou_r = statistics.mean(r["iou"][0] for r in rows)
    iou_s = statistics.mean(r["iou"][1] for r in rows)
    fl_r = statistics.mean(r["flicker"][0] for r in rows)
    fl_s = statistics.mean(r["flicker"][1] for r in rows)
    print(
        f"| **mean** | | {iou_r:.4f} | {iou_s:.4f} | {fl_r:.3f} | {fl_s:.3f} | {fl_s / fl_r:.2f} |"
    )
    return rows


def still_sheet(rows: list[dict], path: Path) -> None:
    """Per clip, its middle frame: input | per-frame alpha | smoothed alpha | |difference|
    of smoothed alpha to the previous frame (x4) | cutout on a checkerboard."""
    tiles = []
    for row in rows:
        t = len(row["clean"]) // 2
        frame = row["clean"][t].astype(np.uint8)
        h, w = frame.shape[:2]
        grey = lambda a: np.repeat(a[..., None], 3, axis=2)  # noqa: E731
        delta = np.clip(
            np.abs(row["smooth"][t].astype(np.int16) - row["smooth"][t - 1]) * 4, 0, 255
        )
        checker = ((np.indices((h, w)).sum(axis=0) // 16) % 2 * 60 + 160).astype(np.float32)
        a = row["smooth"][t][..., None] / 255.0
        cut = (frame * a + grey(checker) * (1 - a)).astype(np.uint8)
        strip = np.hstack([frame, grey(row["raw"][t]), grey(row["smooth"][t]),
                           grey(delta.astype(np.uint8)), cut])  # fmt: skip
        cv2.putText(strip, row["motion"], (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 0, 0), 2)
        tiles.append(strip)
    sheet = np.vstack(tiles)
    scale = min(1.0, 2400 / sheet.shape[1])
    Image.fromarray(cv2.resize(sheet, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)).save(
        path
    )


def box_of(image: np.ndarray) -> tuple[int, int, int, int]:
    """The product's box on a white canvas: pixels clearly not white."""
    ys, xs = np.nonzero(np.asarray(image).astype(np.int16).min(axis=2) < 235)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def spin_table(args, work: Path) -> Path:
    frames_dir = work / "spin-in"
    frames_dir.mkdir()
    rgb, alpha = load_cutout(CUTOUTS[1])  # a cap: wider than tall, until it turns side-on
    width, height = 640, 480
    back = studio(width, height, "plain", 7)
    ch, cw = alpha.shape
    base = 0.7 * min(width / cw, height / ch)
    for t in range(24):  # one turn: the width breathes, the height stays
        sx = base * (0.45 + 0.55 * abs(math.cos(math.pi * t / 24)))
        m = np.float32([[sx, 0, width / 2 - sx * cw / 2], [0, base, height / 2 - base * ch / 2]])
        fg = cv2.warpAffine(rgb, m, (width, height))
        a = cv2.warpAffine(alpha, m, (width, height))[..., None]
        frame = np.clip(
            fg * a + back * (1 - a) + np.random.default_rng(t).normal(0, 2, back.shape), 0, 255
        )
        Image.fromarray(frame.astype(np.uint8)).save(frames_dir / f"turn_{t:02d}.jpg", quality=92)
    options = RemoveOptions.build("white-main")
    out = work / "spin-out"
    started = time.perf_counter()
    spin_set(frames_dir, out, options, fps=12)
    spin_s = time.perf_counter() - started
    # Per-frame placement: the same preset with each frame framed on its own.
    from skucut.pipeline import remove_bytes

    single = work / "single"
    single.mkdir()
    for path in sorted(frames_dir.glob("*.jpg")):
        (single / f"{path.stem}.jpg").write_bytes(remove_bytes(path.read_bytes(), options).data)
    canvas = options.canvas[0]
    print(f"\n## Spin set (24 frames 640x480, white-main 2000x2000; {spin_s:.0f} s for the set)\n")
    print("| placement | top edge moves (max % canvas) | bottom edge | horizontal centre |")
    print("|---|---|---|---|")
    for name, folder in (("spin (one box)", out), ("per frame", single)):
        boxes = [box_of(Image.open(p).convert("RGB")) for p in sorted(folder.glob("turn_*.jpg"))]
        moves = [
            max(abs(b[i] - a[i]) for a, b in itertools.pairwise(boxes)) / canvas * 100
            for i in (1, 3)
        ]
        centre = max(abs((b[0] + b[2]) - (a[0] + a[2])) / 2 for a, b in itertools.pairwise(boxes))
        print(f"| {name} | {moves[0]:.2f} | {moves[1]:.2f} | {centre / canvas * 100:.2f} |")
    return out


def throughput(args, work: Path, options: RemoveOptions) -> None:
    width, height = 1280, 720
    frames = list(clean for clean, _ in make_clip(1, "pan", args.speed_frames, width, height))
    clip = work / "speed.mp4"
    write_h264(clip, frames)
    prepare(options)
    print(f"\n## Throughput at 1280x720 ({DEFAULT_MODEL}, refine {options.refine}, WebM out, "
          f"{args.speed_frames} frames; median of {args.runs} runs)\n")  # fmt: skip
    print("| mode | frames/s | ms/frame |")
    print("|---|---|---|")
    rates = {}
    for smooth in (False, True):
        runs = [
            remove_video(clip, work / "speed.webm", options, smooth=smooth).wall_s
            for _ in range(args.runs)
        ]
        wall = statistics.median(runs)
        rates[smooth] = args.speed_frames / wall
        print(
            f"| {'steadied' if smooth else 'frame by frame'} | {rates[smooth]:.2f} | {1000 / rates[smooth]:.0f} |"
        )
    if args.long:
        count = int(args.long * 25)
        long_clip = work / "long.mp4"
        clean = list(c for c, _ in make_clip(1, "pan", 50, width, height))
        write_h264(long_clip, [clean[i % 50] for i in range(count)])  # 30 s of a 2 s loop
        result = remove_video(long_clip, work / "long.webm", options)
        print(f"\n{args.long:g} s clip (1280x720, 25 fps, {result.frames} frames), smoothed, to "
              f"WebM: {result.wall_s:.0f} s wall ({result.frames / result.wall_s:.2f} frames/s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument(
        "--size", type=lambda s: tuple(int(v) for v in s.split("x")), default=(640, 360)
    )
    parser.add_argument("--speed-frames", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--long", type=float, default=0, help="also time a clip this many seconds long"
    )
    parser.add_argument("--sheet", type=Path, help="write a still-frame sheet here")
    parser.add_argument("--spin-out", type=Path, help="copy the spin set's output here")
    parser.add_argument("--skip", nargs="*", default=[], choices=["clips", "spin", "speed"])
    args = parser.parse_args()
    options = RemoveOptions()
    with tempfile.TemporaryDirectory(prefix="skucut-video-bench-") as tmp:
        work = Path(tmp)
        if "clips" not in args.skip:
            rows = clip_table(args, work, options)
            if args.sheet:
                still_sheet(rows, args.sheet)
        if "spin" not in args.skip:
            out = spin_table(args, work)
            if args.spin_out:
                import shutil

                shutil.copytree(out, args.spin_out, dirs_exist_ok=True)
        if "speed" not in args.skip:
            throughput(args, work, options)


if __name__ == "__main__":
    main()
