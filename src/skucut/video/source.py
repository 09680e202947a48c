"""Video in: a container (MP4, MOV, WebM, MKV, animated GIF, ...) or a folder of frames, read
as a stream of RGB frames (and the audio frames beside them), never the whole video at once.

Every limit is checked before a frame is processed (size, declared length) and again while
reading (a file may lie about its length); a file that ends early or breaks is a one-line
InvalidVideo, so the caller can drop what it started writing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from skucut.errors import InvalidVideo, SkucutError, VideoTooLong
from skucut.io.decode import IMAGE_EXTS, check_size, decode_image
from skucut.video._av import av_message, require_av

DEFAULT_MAX_SECONDS = 600.0  # ten minutes; like the image pixel limit, a guard, not a style
DEFAULT_FOLDER_FPS = Fraction(25)
VIDEO_EXTS = {".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi", ".gif", ".mpg", ".mpeg", ".ogv"}


@dataclass(frozen=True)
class Limits:
    max_pixels: int  # per frame
    max_seconds: float = DEFAULT_MAX_SECONDS


@dataclass
class Frame:
    index: int
    rgb: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray | None = None  # the input's own alpha (a frame folder of RGBA PNGs)
    time: float | None = None  # seconds from the first frame (a video's timestamps)


class VideoSource:
    """What a video is (size, rate, length, audio) and its frames in order."""

    name: str
    width: int
    height: int
    fps: Fraction
    frame_count: int | None  # as declared (None: unknown); checked while reading
    audio: object | None = None  # the PyAV audio stream, when there is one

    @property
    def seconds(self) -> float | None:
        return None if self.frame_count is None else self.frame_count / float(self.fps)

    def frames(self, on_audio=None) -> Iterator[Frame]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_source(path: str | Path, limits: Limits, fps: float | None = None) -> VideoSource:
    """A folder of images (frames in name order, at ``fps``) or a video file."""
    path = Path(path)
    if path.is_dir():
        return FolderSource(path, limits, Fraction(fps).limit_denominator(1001) if fps else None)
    if not path.exists():
        raise InvalidVideo(f"{path}: no such file or folder")
    return ContainerSource(path, limits)


def _frame_budget(fps: Fraction, limits: Limits) -> int:
    return math.floor(limits.max_seconds * float(fps) + 1e-6) + 1


class FolderSource(VideoSource):
    def __init__(self, folder: Path, limits: Limits, fps: Fraction | None):
        self.name, self.limits = folder.name, limits
        self.paths = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and p.is_file()
        )
        if not self.paths:
            raise InvalidVideo(f"{folder}: no image frames found")
        self.fps = fps or DEFAULT_FOLDER_FPS
        self.frame_count = len(self.paths)
        if self.frame_count > _frame_budget(self.fps, limits):
            raise VideoTooLong(
                f"{folder}: {self.frame_count} frames at {float(self.fps):g} fps is over the "
                f"{limits.max_seconds:g} s limit"
            )
        first = self._decode(0)
        self.height, self.width = first.rgb.shape[:2]
        self._first = first

    def _decode(self, index: int) -> Frame:
        path = self.paths[index]
        try:
            decoded = decode_image(path, self.limits.max_pixels)
        except SkucutError as exc:
            raise type(exc)(f"frame {path.name}: {exc}") from None
        return Frame(index, decoded.rgb, decoded.alpha)

    def frames(self, on_audio=None) -> Iterator[Frame]:
        for index in range(self.frame_count):
            frame = self._first if index == 0 else self._decode(index)
            if frame.rgb.shape[:2] != (self.height, self.width):
                height, width = frame.rgb.shape[:2]
                raise InvalidVideo(
                    f"frame {self.paths[index].name} is {width}x{height}, the first is "
                    f"{self.width}x{self.height}; all frames must have one size"
                )
            yield frame


class ContainerSource(VideoSource):
    def __init__(self, path: Path, limits: Limits):
        av = require_av()
        self.path, self.name, self.limits, self._av = path, path.name, limits, av
        try:
            self.container = av.open(str(path), "r")
        except (av.error.FFmpegError, UnicodeDecodeError) as exc:
            raise InvalidVideo(f"{path.name}: not a readable video ({av_message(exc)})") from None
        try:
            self._inspect()
        except BaseException:
            self.container.close()
            raise

    def _inspect(self) -> None:
        streams = self.container.streams
        if not streams.video:
            raise InvalidVideo(f"{self.name}: no video stream")
        self.stream = streams.video[0]
        self.stream.thread_type = "AUTO"  # frame threads: decoding is not the bottleneck then
        context = self.stream.codec_context
        self.coded_size = (context.width, context.height)
        if not context.width or not context.height:
            raise InvalidVideo(f"{self.name}: the video stream has no picture size")
        # A phone stores an upright clip as coded landscape frames plus a display rotation:
        # frames are turned as they are decoded, so the cutout is upright like the clip.
        self.turns = round(self._display_rotation() / 90) % 4
        self.width, self.height = self.coded_size[:: -1 if self.turns % 2 else 1]
        check_size(self.width, self.height, self.limits.max_pixels)
        rate = self.stream.average_rate or self.stream.guessed_rate or self.stream.base_rate
        base = self.stream.guessed_rate
        # A variable frame rate (a phone that slowed down in the dark): the output runs at the
        # rate every timestamp fits (FFmpeg's guess), not the average, and frames are put on
        # it by their timestamps (video.run.ConstantRate), so motion keeps its real timing.
        variable = bool(rate and base and abs(base / rate - 1) > 0.01 and 0 < base <= 120)
        if variable:
            rate = base
        if not rate or rate <= 0 or rate > 1000:
            raise InvalidVideo(f"{self.name}: no usable frame rate ({rate})")
        self.fps = Fraction(rate).limit_denominator(1001)
        declared = None if variable else self.stream.frames or None
        if declared is None and self.container.duration:
            declared = round(self.container.duration / 1_000_000 * float(self.fps)) or None
        self.frame_count = declared
        seconds = self.seconds
        if seconds is not None and seconds > self.limits.max_seconds:
            raise VideoTooLong(
                f"{self.name}: {seconds:.1f} s is over the {self.limits.max_seconds:g} s limit"
            )
        self.audio = streams.audio[0] if streams.audio else None

    def _display_rotation(self) -> int:
        """The display rotation (degrees counter-clockwise) of the first frame, read from a
        second opening of the file so that reading frames still starts at the beginning."""
        av = self._av
        try:
            with av.open(str(self.path), "r") as probe:
                frames = probe.decode(probe.streams.video[0])
                try:
                    return next(frames).rotation or 0
                finally:
                    frames.close()
        except (av.error.FFmpegError, StopIteration):
            return 0  # a damaged first frame is reported by frames(), in its own words

    def frames(self, on_audio=None) -> Iterator[Frame]:
        """Decoded frames in order; ``on_audio(frame)`` gets the audio frames as they come
        (interleaved, so they never pile up)."""
        av = self._av
        streams = [self.stream] + ([self.audio] if self.audio is not None and on_audio else [])
        budget = _frame_budget(self.fps, self.limits)
        index, start = 0, None
        try:
            for packet in self.container.demux(*streams):
                for decoded in packet.decode():
                    if packet.stream is not self.stream:
                        on_audio(decoded)
                        continue
                    if index >= budget:
                        raise VideoTooLong(
                            f"{self.name}: more than {budget} frames, over the "
                            f"{self.limits.max_seconds:g} s limit"
                        )
                    if start is None:
                        start = decoded.time or 0.0
                    seconds = None if decoded.time is None else decoded.time - start
                    yield Frame(index, self._rgb(decoded, index), time=seconds)
                    index += 1
        except av.error.FFmpegError as exc:
            raise InvalidVideo(
                f"{self.name}: damaged at frame {index + 1} ({av_message(exc)})"
            ) from None
        if index == 0:
            raise InvalidVideo(f"{self.name}: no frame could be decoded")
        # A file cut short often decodes "cleanly" up to the cut: compare with what it declares
        # (a frame count, or a length; a little slack for rounding and variable frame rates).
        declared = self.stream.frames or self.frame_count
        if declared and index < declared * 0.95 - 1:
            raise InvalidVideo(f"{self.name}: truncated, {index} of {declared} frames decoded")

    def _rgb(self, frame, index: int) -> np.ndarray:
        if (frame.width, frame.height) != self.coded_size:
            raise InvalidVideo(
                f"{self.name}: frame {index + 1} is {frame.width}x{frame.height}, the video "
                f"{self.coded_size[0]}x{self.coded_size[1]}; size changes are not supported"
            )
        rgb = frame.to_ndarray(format="rgb24")
        return np.ascontiguousarray(np.rot90(rgb, self.turns)) if self.turns else rgb

    def close(self) -> None:
        self.container.close()
