"""Temporal smoothing of a video's alpha: the previous frames' alpha, moved along the optical
flow, carries over where the picture did not change; where it changed it does not.

A product standing still then keeps one outline instead of shimmering (the model and the graph
cut decide every frame anew, and edge pixels flip), while a moving product does not trail: its
previous alpha is moved with it, and wherever the flow does not explain the new frame (the
product turns, something enters, the scene cuts) the residual is large and the frame's own
alpha wins. The flow and the residual are worked out on a small grey copy (a few ms a frame).
"""

from __future__ import annotations

import cv2
import numpy as np

WORK_SIDE = 320  # longer side of the grey copy the flow is computed on
MAX_CARRY = 0.75  # at most this share of the previous alpha is kept (a ~4-frame memory)
# Residual (grey levels, after a small blur and with the global brightness change taken out)
# at which nothing is carried over any more; sensor noise stays well below it.
RESIDUAL_LIMIT = 12.0


class TemporalSmoother:
    """``smoother(rgb, alpha) -> alpha``, called once per frame in order (the pipeline's
    ``temporal`` hook). One per video: it holds the previous frame."""

    def __init__(self, max_carry: float = MAX_CARRY, residual_limit: float = RESIDUAL_LIMIT):
        self.max_carry, self.residual_limit = max_carry, residual_limit
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_FAST)
        self._grey: np.ndarray | None = None  # previous frame, small and grey (uint8)
        self._alpha: np.ndarray | None = None  # previous smoothed alpha, full size (float32)
        self._grid: tuple[np.ndarray, np.ndarray] | None = None
        self.carry_mean = 0.0  # share of the previous alpha kept in the last frame (a gauge)

    def _small_grey(self, rgb: np.ndarray) -> np.ndarray:
        height, width = rgb.shape[:2]
        scale = min(1.0, WORK_SIDE / max(height, width))
        size = (max(8, round(width * scale)), max(8, round(height * scale)))
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (3, 3), 0)

    def _full_grid(self, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        if self._grid is None or self._grid[0].shape != (height, width):
            xs, ys = np.meshgrid(
                np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
            )
            self._grid = (xs, ys)
        return self._grid

    def carry(self, grey: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """Share of the previous alpha to keep per pixel (small size): high where the moved
        previous frame matches this one, zero where it does not."""
        height, width = grey.shape
        xs, ys = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )
        moved = cv2.remap(
            self._grey,
            xs + flow[..., 0],
            ys + flow[..., 1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        diff = grey.astype(np.float32) - moved.astype(np.float32)
        diff -= np.median(diff)  # a lighting drift changes every pixel alike: not motion
        residual = cv2.blur(np.abs(diff), (5, 5))
        return self.max_carry * np.clip(1.0 - residual / self.residual_limit, 0.0, 1.0)

    def __call__(self, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        alpha = alpha.astype(np.float32, copy=False)
        grey = self._small_grey(rgb)
        if self._alpha is None or self._alpha.shape != alpha.shape:
            self._grey, self._alpha = grey, alpha
            return alpha
        # For every pixel of this frame, where it was in the previous one.
        flow = self._flow.calc(grey, self._grey, None)
        carry = self.carry(grey, flow)
        height, width = alpha.shape
        sy, sx = height / grey.shape[0], width / grey.shape[1]
        flow_full = cv2.resize(flow, (width, height), interpolation=cv2.INTER_LINEAR)
        xs, ys = self._full_grid(height, width)
        previous = cv2.remap(
            self._alpha,
            xs + flow_full[..., 0] * sx,
            ys + flow_full[..., 1] * sy,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        carry_full = cv2.resize(carry, (width, height), interpolation=cv2.INTER_LINEAR)
        out = alpha + carry_full * (previous - alpha)
        self.carry_mean = float(carry.mean())
        self._grey, self._alpha = grey, out
        return out


def flicker(
    alphas: tuple[np.ndarray, np.ndarray], frames: tuple[np.ndarray, np.ndarray], still: int = 3
) -> float:
    """Mean |Δalpha| (0-255 scale) between two consecutive frames, over the pixels whose colour
    did not change (every channel within ``still`` levels); NaN when none stayed still."""
    a0, a1 = (a.astype(np.float32) for a in alphas)
    change = np.abs(frames[0].astype(np.int16) - frames[1].astype(np.int16)).max(axis=2)
    steady = change <= still
    if not steady.any():
        return float("nan")
    return float(np.abs(a1 - a0)[steady].mean())
