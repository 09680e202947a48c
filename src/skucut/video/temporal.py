"""Temporal smoothing of a video's alpha: up to half of the previous frame's (smoothed) alpha
carries over, where the previous frame explains this one.

Per pixel, on a small grey copy of the frames: where the colour did not change (the frame
difference, minus a global lighting change, is small in the whole neighbourhood) the previous
alpha carries over in place; where it did, the previous alpha moved along the optical flow (DIS)
carries over if the moved previous frame matches this one; where neither explains the frame
(the product turns, something enters, the scene cuts) the frame's own alpha stands alone. So a
product standing still keeps one outline instead of shimmering (the model and the graph cut
decide every frame anew, and edge pixels flip), and a moving one does not trail.

Tuned on bench/video.py's clips: carrying 75% instead of 50% halves the flicker of a still
clip but lags behind a model that changes its mind (zoom clip: IoU 0.866 -> 0.826); moving the
alpha along the flow where the picture stood still added flicker (the flow is never exactly
zero), so the still pixels take the alpha in place.
"""

from __future__ import annotations

import cv2
import numpy as np

WORK_SIDE = 320  # longer side of the grey copy the flow is computed on
MAX_CARRY = 0.5  # at most half of the previous alpha is kept: a short memory, little lag
# Residual (grey levels, after a small blur and with the global brightness change taken out)
# at which nothing is carried over any more; sensor noise stays well below it.
RESIDUAL_LIMIT = 12.0
_NEAR = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))  # on the small copy


class TemporalSmoother:
    """``smoother(rgb, alpha) -> alpha``, called once per frame in order (the pipeline's
    ``temporal`` hook). One per video: it holds the previous frame."""

    def __init__(self, max_carry: float = MAX_CARRY, residual_limit: float = RESIDUAL_LIMIT):
        self.max_carry, self.residual_limit = max_carry, residual_limit
        self._flow = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
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

    def _residual(self, grey: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """How badly ``previous`` (moved or not) explains this frame, per pixel (grey levels)."""
        diff = grey.astype(np.float32) - previous.astype(np.float32)
        diff -= np.median(diff)  # a lighting drift changes every pixel alike: not motion
        # Spread to the neighbours: an edge's soft alpha reaches past the pixels whose colour
        # changed, and the alpha there must follow the edge, not stay where it was.
        return cv2.dilate(cv2.blur(np.abs(diff), (3, 3)), _NEAR)

    def _weight(self, residual: np.ndarray) -> np.ndarray:
        return self.max_carry * np.clip(1.0 - residual / self.residual_limit, 0.0, 1.0)

    def __call__(self, rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        alpha = alpha.astype(np.float32, copy=False)
        grey = self._small_grey(rgb)
        if self._alpha is None or self._alpha.shape != alpha.shape:
            self._grey, self._alpha = grey, alpha
            return alpha
        # Where the picture did not change, the previous alpha carries over as it is: a flow
        # field is never exactly zero, and moving the alpha by its noise would add flicker.
        still = self._residual(grey, self._grey)
        # Elsewhere it may carry over moved along the flow (for every pixel of this frame,
        # where it was in the previous one), where the moved previous frame matches this one.
        flow = self._flow.calc(grey, self._grey, None)
        height, width = grey.shape
        xs, ys = np.meshgrid(
            np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
        )
        moved_grey = cv2.remap(
            self._grey,
            xs + flow[..., 0],
            ys + flow[..., 1],
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        moving = self._residual(grey, moved_grey)
        use_still = (still <= self.residual_limit / 2) | (still <= moving)
        carry = self._weight(np.where(use_still, still, moving))
        flow[use_still] = 0.0
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
