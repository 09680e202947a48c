"""Colour guided filter (He, Sun & Tang), used to lift a low-resolution alpha to full resolution.

The filter models alpha as locally linear in the image colour: alpha ~ a . I + b in each window.
The coefficients are smooth, so they are solved at a working resolution and only the final
``a . I + b`` runs on the full-resolution pixels: edges come from the full-resolution image,
cost stays close to one pass over it.
"""

from __future__ import annotations

import cv2
import numpy as np


def _box(x: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(x, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def guided_coefficients(
    guide: np.ndarray, src: np.ndarray, radius: int, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """Window-averaged (a, b) with src ~ a . guide + b; guide HxWx3 and src HxW in [0, 1]."""
    mean_i = _box(guide, radius)
    mean_p = _box(src, radius)
    cov_ip = _box(guide * src[..., None], radius) - mean_i * mean_p[..., None]

    # Covariance of the guide's colour channels, regularised by eps (larger eps = smoother).
    def var(i: int, j: int) -> np.ndarray:
        v = _box(guide[..., i] * guide[..., j], radius) - mean_i[..., i] * mean_i[..., j]
        return v + eps if i == j else v

    rr, rg, rb, gg, gb, bb = var(0, 0), var(0, 1), var(0, 2), var(1, 1), var(1, 2), var(2, 2)
    # Solve the symmetric 3x3 system per pixel with its adjugate (far faster than linalg.solve).
    inv = (
        gg * bb - gb * gb,
        gb * rb - rg * bb,
        rg * gb - gg * rb,
        rr * bb - rb * rb,
        rg * rb - rr * gb,
        rr * gg - rg * rg,
    )
    i_rr, i_rg, i_rb, i_gg, i_gb, i_bb = inv
    det = rr * i_rr + rg * i_rg + rb * i_rb
    c_r, c_g, c_b = cov_ip[..., 0], cov_ip[..., 1], cov_ip[..., 2]
    a = (
        np.stack(
            [
                i_rr * c_r + i_rg * c_g + i_rb * c_b,
                i_rg * c_r + i_gg * c_g + i_gb * c_b,
                i_rb * c_r + i_gb * c_g + i_bb * c_b,
            ],
            axis=-1,
        )
        / det[..., None]
    )
    b = mean_p - (a * mean_i).sum(axis=-1)
    return _box(a, radius), _box(b, radius)


def apply_coefficients(a: np.ndarray, b: np.ndarray, guide: np.ndarray) -> np.ndarray:
    """alpha = a . guide + b at the guide's resolution (a, b are upsampled if smaller)."""
    height, width = guide.shape[:2]
    if a.shape[:2] != (height, width):
        a = cv2.resize(a, (width, height), interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(b, (width, height), interpolation=cv2.INTER_LINEAR)
    out = b
    for c in range(3):
        out += a[..., c] * guide[..., c]
    return np.clip(out, 0.0, 1.0, out=out)
