"""Tiny generated clips: a product-like object moving over a textured backdrop, with exact
masks, written with real codecs (PyAV)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np


def scene(index: int, size=(128, 96), step: int = 3, seed: int = 0):
    """(RGB, mask) of frame ``index``: a light box with a dark band (a product on a studio
    backdrop), moving right by ``step`` px a frame over a soft grey gradient."""
    width, height = size
    rng = np.random.default_rng(seed)
    xs = np.linspace(150, 210, width, dtype=np.float32)
    backdrop = np.repeat(np.tile(xs, (height, 1))[..., None], 3, axis=2)
    backdrop += rng.normal(0, 2, backdrop.shape).astype(np.float32)
    mask = np.zeros((height, width), np.uint8)
    x0, y0 = width // 4 + index * step, height // 5
    cv2.rectangle(mask, (x0, y0), (x0 + width // 3, y0 + height * 3 // 5), 255, -1)
    rgb = backdrop.copy()
    rgb[mask > 0] = (40, 70, 160)
    rgb[(mask > 0) & (np.arange(height)[:, None] % 16 < 5)] = (230, 190, 40)
    return np.clip(rgb, 0, 255).astype(np.uint8), mask


def write_clip(
    path: Path,
    frames: int = 8,
    fps: int = 25,
    audio: bool = True,
    faststart: bool = False,
    size=(128, 96),
    step: int = 3,
) -> list[np.ndarray]:
    """An H.264 MP4 (AAC sound when ``audio``); the exact masks."""
    import av

    masks = []
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = *size, "yuv420p"
        video.options = {"crf": "12"}
        sound = out.add_stream("aac", rate=48000) if audio else None
        per_frame = 48000 // fps
        for i in range(frames):
            rgb, mask = scene(i, size, step)
            masks.append(mask)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
            if sound is not None:
                t = np.arange(i * per_frame, (i + 1) * per_frame) / 48000
                wave = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
                chunk = av.AudioFrame.from_ndarray(
                    wave.repeat(2, 0), format="fltp", layout="stereo"
                )
                chunk.sample_rate, chunk.pts, chunk.time_base = (
                    48000,
                    i * per_frame,
                    Fraction(1, 48000),
                )
                out.mux(sound.encode(chunk))
        out.mux(video.encode())
        if sound is not None:
            out.mux(sound.encode())
    return masks


def read_rgba(path: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of a written video as RGBA, and its frame rate. VP9's alpha is only
    decoded by libvpx (FFmpeg's own VP9 decoder drops it); animated WebP through Pillow."""
    import av

    if path.suffix == ".webp":
        from PIL import Image, ImageSequence

        with Image.open(path) as image:
            frames = [np.asarray(f.convert("RGBA")) for f in ImageSequence.Iterator(image)]
            return frames, 1000 / image.info.get("duration", 40)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        if stream.codec_context.name == "vp9":
            decoder = av.CodecContext.create("libvpx-vp9", "r")
            packets = container.demux(stream)
            frames = [f.to_ndarray(format="rgba") for p in packets for f in decoder.decode(p)]
        else:
            frames = [f.to_ndarray(format="rgba") for f in container.decode(stream)]
    return frames, fps


def iou(alpha: np.ndarray, mask: np.ndarray) -> float:
    a, m = alpha > 127, mask > 127
    return float((a & m).sum() / max((a | m).sum(), 1))
