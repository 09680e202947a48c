"""Video out: WebM (VP9) and MOV (ProRes 4444) with alpha, animated WebP, MP4 (H.264, opaque)
or a folder of PNG frames, written frame by frame.

Nothing is visible until the last frame is in: a container is written to a temporary file
beside the output and renamed at the end, a frame folder's files are moved in at the end, and
an aborted run leaves the previous output (if any) as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from skucut._files import _FILE_MODE
from skucut.io import encode_cutout
from skucut.video._av import require_av


@dataclass(frozen=True)
class Codec:
    container: str
    video: str
    alpha_pix_fmt: str | None  # None: the format has no alpha (MP4)
    opaque_pix_fmt: str
    options: dict
    audio: str | None  # audio codec, None: the format holds no sound
    subsampled: bool  # 4:2:0 chroma: width and height must be even


CODECS = {
    # realtime + cpu-used 8: libvpx's fastest VP9 settings (minutes, not hours, for a clip).
    "webm": Codec(
        "webm",
        "libvpx-vp9",
        "yuva420p",
        "yuv420p",
        {"deadline": "realtime", "cpu-used": "8", "row-mt": "1", "crf": "28", "b": "0"},
        "libopus",
        True,
    ),
    "mov": Codec("mov", "prores_ks", "yuva444p10le", "yuv422p10le", {"profile": "4"}, "aac", False),
    "webp": Codec("webp", "libwebp_anim", "yuva420p", "yuv420p", {"quality": "85"}, None, True),
    "mp4": Codec(
        "mp4", "libx264", None, "yuv420p", {"crf": "18", "preset": "veryfast"}, "aac", True
    ),
}
EXTENSIONS = {".webm": "webm", ".mov": "mov", ".webp": "webp", ".mp4": "mp4", ".m4v": "mp4"}
KINDS = (*CODECS, "png")


def output_kind(path: str | Path) -> str:
    """webm, mov, webp, mp4, or png (a folder of PNG frames: any name without those extensions)."""
    suffix = Path(path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    if suffix in (".png", ".gif", ".jpg", ".jpeg", ".mkv", ".avi"):
        raise ValueError(
            f"{Path(path).name}: write .webm, .mov, .webp, .mp4, or a folder (PNG frames)"
        )
    return "png"


def even_pad(rgb: np.ndarray, alpha: np.ndarray | None):
    """4:2:0 video needs an even width and height: one more column/row where needed, copied
    from the edge (transparent when there is alpha)."""
    height, width = rgb.shape[:2]
    bottom, right = height % 2, width % 2
    if not (bottom or right):
        return rgb, alpha
    rgb = cv2.copyMakeBorder(rgb, 0, bottom, 0, right, cv2.BORDER_REPLICATE)
    if alpha is not None:
        alpha = cv2.copyMakeBorder(alpha, 0, bottom, 0, right, cv2.BORDER_CONSTANT, value=0)
    return rgb, alpha


class ContainerSink:
    """One video file; frames are RGB + alpha (or None for opaque), all of one size."""

    def __init__(
        self,
        path: Path,
        kind: str,
        size: tuple[int, int],
        fps: Fraction,
        alpha: bool,
        audio_rate: int | None = None,
        quality: int | None = None,
    ):
        av = require_av()
        self.path, self.codec, self.alpha = Path(path), CODECS[kind], alpha
        if alpha and self.codec.alpha_pix_fmt is None:
            raise ValueError(
                f"{self.path.name}: MP4 (H.264) has no alpha; give --bg-color or --bg-image, "
                "or write .webm, .mov, .webp or a folder of PNGs"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        os.close(fd)
        options = {"loop": "0"} if kind == "webp" else {}  # animated WebP: loop forever
        self.out = av.open(self.tmp, "w", format=self.codec.container, options=options)
        self.fps, self.audio, self.frames = fps, None, 0
        width, height = size  # every stream exists before the first packet is written
        if self.codec.subsampled:
            width, height = width + width % 2, height + height % 2
        self._open_video(width, height, quality)
        if audio_rate and self.codec.audio:
            rate = 48000 if self.codec.audio == "libopus" else audio_rate
            self.audio = self.out.add_stream(self.codec.audio, rate=rate)

    def _open_video(self, width: int, height: int, quality: int | None) -> None:
        self.stream = self.out.add_stream(self.codec.video, rate=self.fps)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = self.codec.alpha_pix_fmt if self.alpha else self.codec.opaque_pix_fmt
        options = dict(self.codec.options)
        if quality is not None and self.codec.video == "libwebp_anim":
            options["quality"] = str(quality)
        self.stream.options = options

    def write(self, rgb: np.ndarray, alpha: np.ndarray | None) -> None:
        av = require_av()
        if self.codec.subsampled:
            rgb, alpha = even_pad(rgb, alpha)
        if self.alpha:
            pixels = np.dstack(
                [rgb, alpha if alpha is not None else np.full_like(rgb[..., 0], 255)]
            )
            frame = av.VideoFrame.from_ndarray(pixels, format="rgba")
        else:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames
        self.out.mux(self.stream.encode(frame))
        self.frames += 1

    def write_audio(self, frame) -> None:
        if self.audio is not None:
            frame.pts = None  # the encoder re-times, resamples and re-frames the sound
            self.out.mux(self.audio.encode(frame))

    def finish(self) -> None:
        self.out.mux(self.stream.encode())
        if self.audio is not None:
            self.out.mux(self.audio.encode())
        self.out.close()
        os.chmod(self.tmp, _FILE_MODE)  # what open() would give; mkstemp alone gives 0600
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # a half-written container may not close cleanly
            self.out.close()
        Path(self.tmp).unlink(missing_ok=True)


class PngSequenceSink:
    """OUT/000001.png ... (RGBA, or RGB when opaque), moved into OUT when all are written."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise ValueError(f"{self.folder}: exists and is not a folder")
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(dir=self.folder.parent, prefix=f".{self.folder.name}."))
        self.frames, self.audio = 0, None

    def write(self, rgb: np.ndarray, alpha: np.ndarray | None) -> None:
        self.frames += 1
        (self.tmp / f"{self.frames:06d}.png").write_bytes(encode_cutout(rgb, alpha, "png"))

    def write_audio(self, frame) -> None:
        pass  # frames hold no sound

    def finish(self) -> None:
        self.folder.mkdir(exist_ok=True)
        for path in sorted(self.tmp.iterdir()):
            os.replace(path, self.folder / path.name)
        self.tmp.rmdir()
        # Frames past the end of an earlier, longer run would read as part of this one.
        for stale in self.folder.glob("[0-9][0-9][0-9][0-9][0-9][0-9].png"):
            if int(stale.stem) > self.frames:
                stale.unlink()

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def open_sink(
    path: Path, size: tuple[int, int], fps: Fraction, alpha: bool, audio_rate=None, quality=None
):
    """The sink ``path``'s name asks for, for frames of ``size`` (width, height)."""
    kind = output_kind(path)
    if kind == "png":
        return PngSequenceSink(path)
    return ContainerSink(path, kind, size, fps, alpha, audio_rate, quality)
