"""Foreground colour estimation, so semi-transparent edges carry no trace of the old background.

Blur-fusion (Forte & Pitie, 2021): the foreground and background colours near a pixel are
estimated as alpha-weighted local means, then corrected so that alpha*F + (1-alpha)*B
reproduces the observed colour. The local means are smooth, so they are computed at a working
resolution; only the final correction runs at full resolution, and only where 0 < alpha < 1.
"""

from __future__ import annotations

import cv2
import numpy as np

RADII = (45, 3)  # at 512 px: a wide pass for the overall colours, a narrow one for detail
WORK_SIDE = 512


def _local_means(image, alpha, fg, bg, radius):
    size = (2 * radius + 1, 2 * radius + 1)
    a = alpha[..., None]
    blur = lambda x: cv2.blur(x, size)  # noqa: E731
    f_mean = blur(fg * a) / (blur(alpha)[..., None] + 1e-5)
    b_mean = blur(bg * (1 - a)) / (blur(1 - alpha)[..., None] + 1e-5)
    return f_mean, b_mean


def _fuse(image, alpha, f_mean, b_mean):
    a = alpha[..., None]
    fg = f_mean + a * (image - a * f_mean - (1 - a) * b_mean)
    return np.clip(fg, 0.0, 1.0)


def estimate_foreground(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """RGB uint8 + alpha uint8 at the same size -> foreground colour, uint8."""
    band = (alpha > 0) & (alpha < 255)
    if not band.any():
        return rgb
    height, width = alpha.shape
    scale = min(1.0, WORK_SIDE / max(height, width))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    small_alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    fg, bg = image, image
    for k, radius in enumerate(RADII):
        r = max(1, round(radius * max(size) / WORK_SIDE))
        f_mean, b_mean = _local_means(image, small_alpha, fg, bg, r)
        if k == len(RADII) - 1:
            break  # the last pass's means are what is used; fusing them here would be lost
        fg, bg = (
            _fuse(image, small_alpha, f_mean, b_mean),
            _fuse(image, 1 - small_alpha, b_mean, f_mean),
        )
    # Full resolution: only the semi-transparent pixels change.
    ys, xs = np.nonzero(band)
    sample = _sampler(ys, xs, (height, width), f_mean.shape[:2])
    observed = rgb[ys, xs].astype(np.float32) / 255.0
    a = alpha[ys, xs].astype(np.float32)[:, None] / 255.0
    f_mean, b_mean = sample(f_mean), sample(b_mean)
    corrected = np.clip(f_mean + a * (observed - a * f_mean - (1 - a) * b_mean), 0.0, 1.0)
    out = rgb.copy()
    out[ys, xs] = np.round(corrected * 255.0).astype(np.uint8)
    return out


def _sampler(ys, xs, full_shape, small_shape):
    """Bilinear sampling of a small image at full-resolution pixel positions (as cv2.resize),
    so a 24 MP photo never needs full-size copies of the smooth estimates."""
    (height, width), (h, w) = full_shape, small_shape
    fy = np.clip((ys + 0.5) * (h / height) - 0.5, 0, h - 1).astype(np.float32)
    fx = np.clip((xs + 0.5) * (w / width) - 0.5, 0, w - 1).astype(np.float32)
    y0, x0 = fy.astype(np.intp), fx.astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (fy - y0)[:, None], (fx - x0)[:, None]

    def sample(image: np.ndarray) -> np.ndarray:
        top = image[y0, x0] * (1 - wx) + image[y0, x1] * wx
        bottom = image[y1, x0] * (1 - wx) + image[y1, x1] * wx
        return top * (1 - wy) + bottom * wy

    return sample
