"""Photo corruptions for the robustness benchmark and for training augmentation.

``corrupt(name, image, mask, severity, seed)`` is a pure function of its arguments: an RGB uint8
image and its 0/128/255 mask in, both out at the same size. Photometric corruptions leave the
mask alone; geometric ones move it with the image, and pixels that only exist because of the
change (the corners a rotation brings in) become 128, ignored by every measure.

Blur lengths are fractions of the image's longer side, so a corruption means the same to the
model at 400 px (a dev photo) and at 192 px (a training crop). Low resolution is in pixels:
what it takes away is detail, which is absolute.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

IGNORE = 128
SEVERITIES = (1, 2, 3)

Transform = Callable[[np.ndarray, np.ndarray, float, np.random.Generator], tuple]


def _photometric(fn: Callable[[np.ndarray, float, np.random.Generator], np.ndarray]) -> Transform:
    def apply(image, mask, amount, rng):
        return fn(image, amount, rng), mask

    return apply


def _clip(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def _jpeg(image, quality, rng):
    _, data = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return np.ascontiguousarray(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1])


def _noise(image, sigma, rng):
    return _clip(image + rng.normal(0.0, sigma, image.shape))


def _motion_blur(image, share, rng):
    length = max(3, round(share * max(image.shape[:2])) | 1)  # odd, so the line has a centre
    kernel = np.zeros((length, length), np.float32)
    half = length // 2
    angle = rng.uniform(0, np.pi)
    dx, dy = half * np.cos(angle), half * np.sin(angle)
    cv2.line(kernel, (round(half - dx), round(half - dy)), (round(half + dx), round(half + dy)), 1)
    return cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT_101)


def _defocus_blur(image, share, rng):
    radius = max(1, round(share * max(image.shape[:2])))
    kernel = np.zeros((2 * radius + 1,) * 2, np.float32)
    cv2.circle(kernel, (radius, radius), radius, 1, -1)
    return cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT_101)


def _brightness(image, stops, rng):
    """Over- or under-exposure (the sign is drawn) by ``stops``, clipped like a camera's."""
    return _clip(image.astype(np.float32) * 2.0 ** (stops * rng.choice((-1, 1))))


def _contrast(image, factor, rng):
    x = image.astype(np.float32)
    return _clip((x - x.mean()) * factor + x.mean())


def _colour_temperature(image, shift, rng):
    """Warmer or cooler light (drawn): red up and blue down, or the reverse."""
    sign = rng.choice((-1, 1))
    gains = np.float32([1 + sign * shift, 1.0, 1 - sign * shift])
    return _clip(image.astype(np.float32) * gains)


def _low_resolution(image, side, rng):
    """As if the photo had been stored with its longer side at ``side`` px, shown at its size."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return image
    small = cv2.resize(
        image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _warp(image, mask, matrix):
    h, w = mask.shape
    img = cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
    )
    msk = cv2.warpAffine(
        mask,
        matrix,
        (w, h),
        flags=cv2.INTER_NEAREST,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=IGNORE,  # brought in by the warp: no label exists there
    )
    return img, msk


def _rotate(image, mask, degrees, rng):
    h, w = mask.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees * rng.choice((-1, 1)), 1.0)
    return _warp(image, mask, matrix)


def _crop(image, mask, keep, rng):
    """A window of ``keep`` of each side at a drawn place, enlarged back to the full size: a
    tighter, shifted framing that may cut the product at an edge."""
    h, w = mask.shape
    x0, y0 = rng.uniform(0, 1 - keep, 2) * (w, h)
    matrix = np.float32([[1 / keep, 0, -x0 / keep], [0, 1 / keep, -y0 / keep]])
    return _warp(image, mask, matrix)


@dataclass(frozen=True)
class Corruption:
    apply: Transform
    amounts: tuple[float, float, float]  # severities 1, 2, 3
    label: str  # what an amount means, e.g. "quality {}"


CORRUPTIONS: dict[str, Corruption] = {
    "jpeg": Corruption(_photometric(_jpeg), (30, 15, 8), "quality {:g}"),
    "noise": Corruption(_photometric(_noise), (8, 16, 32), "sigma {:g}/255"),
    "motion_blur": Corruption(_photometric(_motion_blur), (0.015, 0.03, 0.05), "{:.1%} of side"),
    "defocus_blur": Corruption(
        _photometric(_defocus_blur), (0.006, 0.012, 0.02), "radius {:.1%} of side"
    ),
    "brightness": Corruption(_photometric(_brightness), (0.4, 0.8, 1.2), "+/-{:g} stops"),
    "contrast": Corruption(_photometric(_contrast), (0.6, 0.4, 0.25), "x{:g}"),
    "colour_temp": Corruption(_photometric(_colour_temperature), (0.1, 0.2, 0.3), "R/B +/-{:.0%}"),
    "low_res": Corruption(_photometric(_low_resolution), (160, 96, 56), "{:g} px"),
    "rotate": Corruption(_rotate, (5, 10, 15), "+/-{:g} deg"),
    "crop": Corruption(_crop, (0.9, 0.8, 0.7), "keep {:.0%}"),
}


def _spec(name: str, severity: int) -> Corruption:
    if name not in CORRUPTIONS:
        raise KeyError(f"unknown corruption {name!r}; valid names: {', '.join(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}, got {severity!r}")
    return CORRUPTIONS[name]


def describe(name: str, severity: int) -> str:
    """What ``severity`` of ``name`` does, e.g. "quality 15"."""
    spec = _spec(name, severity)
    return spec.label.format(spec.amounts[severity - 1])


def corrupt(
    name: str, image: np.ndarray, mask: np.ndarray, severity: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(image, mask) under corruption ``name`` at ``severity`` (1-3); the same for the same
    arguments, whatever else ran before."""
    spec = _spec(name, severity)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[:2] != mask.shape:
        raise ValueError(
            f"expected an HxWx3 uint8 image and an HxW mask, got {image.dtype} {image.shape} "
            f"and {mask.shape}"
        )
    # Not seeded by severity: an image's draws (direction, angle, place) stay the same and only
    # the amount grows from one severity to the next.
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    out_image, out_mask = spec.apply(image, mask, spec.amounts[severity - 1], rng)
    return np.ascontiguousarray(out_image), out_mask
