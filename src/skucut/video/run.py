"""remove_video: a video's frames through the image pipeline, one at a time, into a sink.

The frames go through the same stages as a photo (``pipeline.predict_alpha`` and
``pipeline.finish``); the only video-specific step between them steadies each frame's alpha
with the frames before and after it (``temporal.TemporalMedian``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skucut.errors import SkucutError
from skucut.io import Decoded
from skucut.pipeline import RemoveOptions, finish, predict_alpha, prepare
from skucut.video._av import av_message
from skucut.video.sink import open_sink, output_kind
from skucut.video.source import DEFAULT_MAX_SECONDS, Frame, Limits, open_source
from skucut.video.temporal import TemporalMedian

# Options that change a frame's size or layout one frame at a time: a video keeps its size
# (a fixed framing for every frame is what ``skucut spin`` does).
PER_FRAME_GEOMETRY = {"trim": False, "canvas": None, "upscale": "off"}


@dataclass(frozen=True)
class VideoResult:
    output: Path
    kind: str  # webm | mov | webp | mp4 | png
    frames: int  # written, at the output's constant rate
    fps: float
    seconds: float
    width: int
    height: int
    audio: bool  # the sound was carried over
    wall_s: float


class ConstantRate:
    """A sink's writer that puts frames on the output's constant rate by their timestamps: a
    variable-rate clip (phones record them) keeps its length and stays in step with its
    sound. A frame that comes late is preceded by the one before it, held over the gap; of
    two frames in one slot the first stands. Frames without a timestamp (a folder of frames)
    take the next slot."""

    def __init__(self, sink, fps: float):
        self.sink, self.fps = sink, float(fps)
        self.written, self._last = 0, None

    def write(self, seconds: float | None, rgb: np.ndarray, alpha: np.ndarray | None) -> None:
        due = self.written if seconds is None else round(seconds * self.fps)
        if due < self.written:
            return
        while self._last is not None and self.written < due:
            self.sink.write(*self._last)
            self.written += 1
        self.sink.write(rgb, alpha)
        self._last = (rgb, alpha)
        self.written += 1


def video_options(options: RemoveOptions) -> RemoveOptions:
    """``options`` if a video can use them; a one-line ValueError if not."""
    changed = [name for name, keep in PER_FRAME_GEOMETRY.items() if getattr(options, name) != keep]
    if changed:
        raise ValueError(
            f"a video keeps its frame size, so {', '.join(changed)} cannot be used; "
            "skucut spin places every frame on one canvas"
        )
    return options


def remove_video(
    source: str | Path,
    output: str | Path,
    options: RemoveOptions | None = None,
    *,
    smooth: bool = True,
    fps: float | None = None,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    progress: Callable[[int, int | None], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> VideoResult:
    """Cut the product out of every frame of ``source`` (a video file or a folder of frames)
    and write ``output``: .webm / .mov / .webp (with alpha), .mp4 (needs a background), or a
    folder of PNG frames. Keeps the frame rate and length, and the sound where the format
    holds it. ``fps`` is the rate of a frame folder. ``progress(done, total)`` after every
    frame; ``checkpoint()`` may raise to stop (a service's deadline). Raises SkucutError or
    ValueError in one line and leaves no partial output."""
    options = video_options(options or RemoveOptions())
    output = Path(output)
    kind = output_kind(output)
    if Path(source).resolve() == output.resolve():
        raise ValueError("the output would overwrite the input; choose another -o")
    prepare(options)
    started = time.perf_counter()
    transparent = not options.mask and options.bg_color is None and not options.bg_image
    with open_source(source, Limits(options.max_pixels, max_seconds), fps) as video:
        audio_rate = video.audio.rate if video.audio is not None else None
        size = (video.width, video.height)
        sink = open_sink(output, size, video.fps, transparent, audio_rate, options.quality)
        timed = ConstantRate(sink, video.fps)
        median = TemporalMedian() if smooth else None

        def write(frame: Frame, alpha: np.ndarray) -> None:
            if options.mask:  # the alpha as a grey picture
                timed.write(frame.time, _grey(alpha), None)
            else:
                timed.write(frame.time, *finish(frame.rgb, alpha, options))
            if progress:
                progress(timed.written, video.frame_count)

        try:
            # Sound is decoded only when the output keeps it.
            on_audio = sink.write_audio if getattr(sink, "audio", None) is not None else None
            for frame in video.frames(on_audio=on_audio):
                alpha, _ = predict_alpha(Decoded(frame.rgb, frame.alpha, "video"), options)
                ready = median.push(frame, frame.rgb, alpha) if median else [(frame, alpha)]
                for done, steadied in ready:
                    write(done, steadied)
                if checkpoint:
                    checkpoint()
            for done, steadied in median.flush() if median else []:
                write(done, steadied)
            sink.finish()
        except BaseException as exc:
            sink.abort()
            if type(exc).__module__.startswith("av."):  # an encoder's failure, in one line
                raise SkucutError(f"{output.name}: {av_message(exc)}") from None
            raise
        return VideoResult(
            output,
            kind,
            timed.written,
            float(video.fps),
            timed.written / float(video.fps),
            video.width,
            video.height,
            getattr(sink, "audio", None) is not None,
            time.perf_counter() - started,
        )


def _grey(mask: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.repeat(mask[..., None], 3, axis=2))


def build_options(preset: str | None = None, preset_file=None, **given) -> RemoveOptions:
    """RemoveOptions for a video: the preset's, then ``given``."""
    return video_options(RemoveOptions.build(preset, preset_file, **given))
