"""360° spin sets: every frame of a turntable shoot cut out and placed with ONE crop box and
scale, so the product stands still on the canvas while it turns.

Two passes over the frames, one in memory at a time: the first finds each frame's alpha (kept
as a PNG in a temporary folder) and the union of the product's extents; the second composes
every frame with that box (the preset's canvas, margin and alignment) and writes it, a
looping preview (animated WebP and MP4) and a self-contained HTML viewer (drag to turn).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from skucut._files import write_atomic
from skucut.compose import product_box
from skucut.errors import InvalidImage
from skucut.io import decode_image, encode_cutout, encode_mask
from skucut.io.decode import IMAGE_EXTS
from skucut.io.encode import flatten
from skucut.pipeline import RemoveOptions, encode, finish, predict_alpha, prepare
from skucut.video.sink import ContainerSink
from skucut.video.viewer import viewer_html

PREVIEW_SIDE = 720  # longer side of the preview and viewer frames
PREVIEW_NAMES = ("spin.webp", "spin.mp4", "spin.html")


@dataclass(frozen=True)
class SpinResult:
    frames: list[Path]  # OUT/NAME.ext, in turning order
    box: tuple[int, int, int, int] | None  # the union of the product's extents (input pixels)
    previews: list[Path]


def _natural(path: Path) -> list:
    """frame2 before frame10."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def list_frames(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise InvalidImage(f"{folder}: not a folder of frames")
    frames = sorted(
        (p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and p.is_file()),
        key=_natural,
    )
    if not frames:
        raise InvalidImage(f"{folder}: no image frames found")
    return frames


def union_box(boxes: list[tuple[int, int, int, int] | None]):
    found = [b for b in boxes if b is not None]
    if not found:
        return None
    x0s, y0s, x1s, y1s = zip(*found, strict=True)
    return min(x0s), min(y0s), max(x1s), max(y1s)


def spin_set(
    folder: str | Path,
    out: str | Path,
    options: RemoveOptions,
    *,
    fps: float = 12.0,
    previews: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> SpinResult:
    """Cut out every frame of ``folder`` and write them to ``out`` with one framing."""
    folder, out = Path(folder), Path(out)
    if options.mask:
        raise ValueError("a spin set composes frames; --mask is not for spin sets")
    paths = list_frames(folder)
    if out.resolve() == folder.resolve():
        raise ValueError("the output folder is the frames folder; choose another -o")
    targets = [out / f"{p.stem}.{options.extension}" for p in paths]
    clash = {t.name for t in targets} & (set(PREVIEW_NAMES) if previews else set())
    if len({t.name for t in targets}) < len(targets) or clash:
        raise ValueError(
            "two frames (or a frame and a preview) would write one file: rename the frames"
        )
    prepare(options)
    size = None
    with tempfile.TemporaryDirectory(prefix="skucut-spin-") as work:
        boxes = []
        for number, path in enumerate(paths, 1):  # pass 1: alphas and the union box
            decoded = decode_image(path, options.max_pixels)
            if size is None:
                size = decoded.rgb.shape[:2]
            elif decoded.rgb.shape[:2] != size:
                height, width = decoded.rgb.shape[:2]
                raise InvalidImage(
                    f"{path.name} is {width}x{height}, {paths[0].name} {size[1]}x{size[0]}: "
                    "a spin set's frames share one size"
                )
            alpha, _ = predict_alpha(decoded, options)
            (Path(work) / f"{number}.png").write_bytes(encode_mask(alpha))
            boxes.append(product_box(alpha))
            if progress:
                progress("cut out", number, len(paths))
        box = union_box(boxes)
        written = []
        preview = Previews(out, fps) if previews else None
        try:
            for number, (path, target) in enumerate(zip(paths, targets, strict=True), 1):
                decoded = decode_image(path, options.max_pixels)  # pass 2: one framing
                alpha = cv2.imread(str(Path(work) / f"{number}.png"), cv2.IMREAD_UNCHANGED)
                pixels, out_alpha = finish(decoded.rgb, alpha, options, box=box)
                write_atomic(target, encode(pixels, out_alpha, options))
                written.append(target)
                if preview:
                    preview.add(pixels, out_alpha)
                if progress:
                    progress("placed", number, len(paths))
            made = preview.finish() if preview else []
        except BaseException:
            if preview:
                preview.abort()
            raise
    return SpinResult(written, box, made)


def _small(rgb: np.ndarray, alpha: np.ndarray | None):
    height, width = rgb.shape[:2]
    scale = min(1.0, PREVIEW_SIDE / max(height, width))
    size = (max(2, round(width * scale)) // 2 * 2, max(2, round(height * scale)) // 2 * 2)
    rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    alpha = None if alpha is None else cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    return rgb, alpha


class Previews:
    """spin.webp (looping, alpha kept), spin.mp4 (on white when transparent) and spin.html,
    written frame by frame as the set is placed (only the viewer's small encoded frames are
    kept until the end)."""

    def __init__(self, out: Path, fps: float):
        self.out, self.fps = out, fps
        self.sinks: list[tuple[ContainerSink, bool]] = []
        self.images: list[tuple[str, bytes]] = []

    def add(self, rgb: np.ndarray, alpha: np.ndarray | None) -> None:
        rgb, alpha = _small(rgb, alpha)
        if not self.sinks:  # every frame of a spin set has the first one's size
            rate = Fraction(self.fps).limit_denominator(1001)
            size = (rgb.shape[1], rgb.shape[0])
            for name, keep_alpha in (("spin.webp", alpha is not None), ("spin.mp4", False)):
                kind = name.rsplit(".", 1)[1]
                self.sinks.append(
                    (ContainerSink(self.out / name, kind, size, rate, keep_alpha), keep_alpha)
                )
        for sink, keep_alpha in self.sinks:
            if alpha is not None and not keep_alpha:
                sink.write(flatten(rgb, alpha, (255, 255, 255)), None)
            else:
                sink.write(rgb, alpha)
        self.images.append(_viewer_image(rgb, alpha))

    def finish(self) -> list[Path]:
        for sink, _ in self.sinks:
            sink.finish()
        write_atomic(self.out / "spin.html", viewer_html(self.images, self.fps).encode())
        return [sink.path for sink, _ in self.sinks] + [self.out / "spin.html"]

    def abort(self) -> None:
        for sink, _ in self.sinks:
            sink.abort()


def _viewer_image(rgb: np.ndarray, alpha: np.ndarray | None) -> tuple[str, bytes]:
    """(MIME type, bytes): WebP keeps the transparency; JPEG is smaller for opaque frames."""
    if alpha is None:
        return "image/jpeg", encode_cutout(rgb, None, "jpg", quality=85)
    return "image/webp", encode_cutout(rgb, alpha, "webp", quality=85)
