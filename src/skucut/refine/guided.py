"""Colour guided filter (He, Sun & Tang), used to lift a low-resolution alpha to full resolution.

The filter models alpha as locally linear in the image colour: alpha ~ a . I + b in each window.
The coefficients are smooth, so they are solved at a working resolution and only the final
``a . I + b`` runs on the full-resolution pixels: edges come from the full-resolution image,
cost stays close to one pass over it.
"""

from __future__ import annotations

import cv2
import numpy as np

TILE = 256  # full-resolution tile side for the final a . I + b


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


def apply_coefficients(a: np.ndarray, b: np.ndarray, image: np.ndarray) -> np.ndarray:
    """alpha = a . image/255 + b at the image's resolution; (a, b) may be smaller.

    ``a`` is zero except near the mask's outline, so away from it alpha is just ``b``
    upsampled; the full product is computed only on tiles whose footprint has a non-zero
    ``a`` (on a 24 MP photo, a few percent of the pixels).
    """
    height, width = image.shape[:2]
    h, w = b.shape
    if (h, w) == (height, width):
        out = b + np.einsum("hwc,hwc->hw", a, image.astype(np.float32) / 255.0)
        return np.clip(out, 0.0, 1.0)
    alpha = cv2.resize(b, (width, height), interpolation=cv2.INTER_LINEAR)
    active = np.abs(a).max(axis=-1) > 1e-4
    sx, sy = w / width, h / height
    for y0 in range(0, height, TILE):
        for x0 in range(0, width, TILE):
            y1, x1 = min(y0 + TILE, height), min(x0 + TILE, width)
            # This tile's footprint at the coefficients' resolution, one pixel wider.
            fy0, fy1 = max(int(y0 * sy) - 1, 0), min(int(y1 * sy) + 2, h)
            fx0, fx1 = max(int(x0 * sx) - 1, 0), min(int(x1 * sx) + 2, w)
            if not active[fy0:fy1, fx0:fx1].any():
                continue
            # Same sampling positions as cv2.resize (pixel centres), restricted to the tile.
            map_x = np.broadcast_to(
                ((np.arange(x0, x1, dtype=np.float32) + 0.5) * sx - 0.5), (y1 - y0, x1 - x0)
            )
            map_y = np.broadcast_to(
                ((np.arange(y0, y1, dtype=np.float32) + 0.5) * sy - 0.5)[:, None],
                (y1 - y0, x1 - x0),
            )
            a_tile = cv2.remap(a, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            guide = image[y0:y1, x0:x1].astype(np.float32) / 255.0
            alpha[y0:y1, x0:x1] += np.einsum("hwc,hwc->hw", a_tile, guide)
    return np.clip(alpha, 0.0, 1.0, out=alpha)
