"""Paired augmentations: one geometric warp applied to image and mask alike, then colour jitter.

Masks use nearest-neighbour sampling so the 128 "ignore" value survives exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentCfg:
    scale: tuple[float, float] = (0.6, 1.15)  # zoom; <1 shows more context
    aspect: tuple[float, float] = (0.8, 1.25)
    rotate_deg: float = 12.0
    shift: float = 0.1  # fraction of the output side
    hflip: float = 0.5
    brightness: float = 0.25
    contrast: float = 0.25
    saturation: float = 0.3
    hue_deg: float = 8.0
    # Close-ups: this share of samples is zoomed in on a point of the subject, so the subject
    # runs off the frame as in a shop's detail shot (a sleeve, a packet's corner). Without
    # them the model saw such photos only as textures and bit large pieces out of them.
    p_closeup: float = 0.0
    closeup_scale: tuple[float, float] = (1.3, 2.5)  # the subject's extent / the frame's
    # The most a close-up may enlarge its source: pairs are kept at 512 px, so a deep zoom
    # shows blurred outlines and staircase masks. A subject too small to reach closeup_scale
    # within the cap gets a plain sample instead. (Capped or not, the close-up runs lost
    # products-dev BF1: configs/experiment-closeups*.yaml.)
    closeup_max_upsample: float = 1.25


def random_warp(
    image: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator, cfg: AugmentCfg
) -> tuple[np.ndarray, np.ndarray]:
    """Scale, rotate, shift, flip and resize (image, mask) to ``size`` x ``size`` in one warp."""
    h, w = mask.shape[:2]  # mask: HxW, or HxWxC label layers warped alike
    centre = np.array([w / 2, h / 2])  # the source point that lands at the output's centre
    closeup = cfg.p_closeup > 0 and rng.random() < cfg.p_closeup
    if closeup:
        ys, xs = np.nonzero((mask if mask.ndim == 2 else mask[..., 0]) == 255)
        closeup = len(ys) > 0
    if closeup:
        extent = max((xs.max() - xs.min() + 1) / w, (ys.max() - ys.min() + 1) / h)
        lowest, highest = cfg.closeup_scale
        highest = min(highest, cfg.closeup_max_upsample * min(w, h) / size * extent)
        closeup = highest >= lowest
    if closeup:
        k = rng.integers(len(ys))
        centre = np.array([xs[k], ys[k]], np.float64)
        zoom = rng.uniform(lowest, highest) / extent
    else:
        zoom = rng.uniform(*cfg.scale)
    aspect = rng.uniform(*cfg.aspect)
    sx = size / w * zoom * np.sqrt(aspect)
    sy = size / h * zoom / np.sqrt(aspect)
    angle = np.deg2rad(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg))
    flip = -1.0 if rng.random() < cfg.hflip else 1.0
    cos, sin = np.cos(angle), np.sin(angle)
    # Map source centre -> output centre (+ shift) with rotation/scale/flip about the centre.
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.diag([sx * flip, sy])
    shift = rng.uniform(-cfg.shift, cfg.shift, size=2) * size
    centre_out = np.array([size / 2, size / 2]) + shift
    offset = centre_out - linear @ centre
    matrix = np.hstack([linear, offset[:, None]]).astype(np.float32)
    img = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    msk = cv2.warpAffine(
        mask, matrix, (size, size), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REFLECT_101
    )
    return img, msk


def colour_jitter(image: np.ndarray, rng: np.random.Generator, cfg: AugmentCfg) -> np.ndarray:
    """Random brightness, contrast, saturation and hue on an RGB uint8 image."""
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (
        hsv[..., 0] + rng.uniform(-cfg.hue_deg, cfg.hue_deg) / 2
    ) % 180  # OpenCV hue: 0..180
    hsv[..., 1] *= rng.uniform(1 - cfg.saturation, 1 + cfg.saturation)
    out = cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    mean = out.mean()
    out = (out - mean) * rng.uniform(1 - cfg.contrast, 1 + cfg.contrast) + mean
    out *= rng.uniform(1 - cfg.brightness, 1 + cfg.brightness)
    return np.clip(out, 0, 255).astype(np.uint8)
