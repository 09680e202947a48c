"""Foreground colour estimation, so semi-transparent edges carry no trace of the old background.

Blur-fusion (Forte & Pitie, 2021): the foreground and background colours near a pixel are
estimated as alpha-weighted local means, then corrected so that alpha*F + (1-alpha)*B
reproduces the observed colour. The local means are smooth, so they are computed at small
working resolutions; only the final correction runs at full resolution, and only where
0 < alpha < 1.
"""

from __future__ import annotations

import cv2
import numpy as np

# Two passes: a wide one for the overall colours, a narrow one for detail. Each runs at its
# own resolution (long side), radius given at that resolution. Both at 512 px (radii 45, 3)
# cost 60% more for the same edge colours: bench/decontaminate.py, docs/refiner.md.
PASSES = ((128, 11), (384, 2))


def _shrink(image: np.ndarray, side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = min(1.0, side / max(height, width))
    if scale == 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _local_means(alpha, fg, bg, radius):
    size = (2 * radius + 1, 2 * radius + 1)
    a = alpha[..., None]
    weight = cv2.blur(alpha, size)[..., None]  # the blur of 1 - alpha is 1 - this
    f_mean = cv2.blur(fg * a, size) / (weight + 1e-5)
    b_mean = cv2.blur(bg * (1 - a), size) / (1 - weight + 1e-5)
    return f_mean, b_mean


def _fuse(image, alpha, f_mean, b_mean):
    """The colour whose mix with ``b_mean`` by ``alpha`` shows as ``image``, near ``f_mean``."""
    a = alpha[..., None]
    return np.clip(f_mean + a * (image - a * f_mean - (1 - a) * b_mean), 0.0, 1.0)


def _fuse_edges(image, alpha, means):
    """(foreground, background) colours of ``image`` given the previous pass's ``means``.
    Only semi-transparent pixels need the fusion: where alpha is 1 the foreground is the
    image (and its background never counts), where it is 0 the reverse."""
    ys, xs = np.nonzero((alpha > 0) & (alpha < 1))
    f_mean, b_mean = _means_at(means, ys, xs, alpha.shape)
    a, observed = alpha[ys, xs], image[ys, xs]
    fg, bg = image.copy(), image.copy()
    fg[ys, xs] = _fuse(observed, a, f_mean, b_mean)
    bg[ys, xs] = _fuse(observed, 1 - a, b_mean, f_mean)
    return fg, bg


def estimate_foreground(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """RGB uint8 + alpha uint8 at the same size -> foreground colour, uint8."""
    band = (alpha > 0) & (alpha < 255)
    if not band.any():
        return rgb
    means = None  # the last pass's (F, B) local means, at its resolution
    largest = max(side for side, _ in PASSES)  # every pass's copy is shrunk from this one
    shrunk_rgb, shrunk_alpha = _shrink(rgb, largest), _shrink(alpha, largest)
    for side, radius in PASSES:
        image = _shrink(shrunk_rgb, side).astype(np.float32) / 255.0
        small_alpha = _shrink(shrunk_alpha, side).astype(np.float32) / 255.0
        fg, bg = (image, image) if means is None else _fuse_edges(image, small_alpha, means)
        r = max(1, round(radius * max(image.shape[:2]) / side))  # photos under ``side`` px
        means = _local_means(small_alpha, fg, bg, r)
    # Full resolution: only the semi-transparent pixels change.
    ys, xs = np.nonzero(band)
    observed = rgb[ys, xs].astype(np.float32) / 255.0
    corrected = _fuse(
        observed, alpha[ys, xs].astype(np.float32) / 255.0, *_means_at(means, ys, xs, alpha.shape)
    )
    out = rgb.copy()
    out[ys, xs] = np.round(corrected * 255.0).astype(np.uint8)
    return out


def _means_at(means, ys, xs, shape):
    """The (F, B) means read bilinearly at pixels (ys, xs) of an image of ``shape``."""
    sample = _sampler(ys, xs, shape, means[0].shape[:2])
    return sample(means[0]), sample(means[1])


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
