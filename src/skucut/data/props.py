"""Things that share a product photo with the product but are not for sale: drawn procedurally
and labelled background, so the model learns to leave them out.

Each function draws onto a float [0, 1] RGB canvas in place and returns the layer's opacity
(HxW float32 in [0, 1]) so the caller can relabel what the layer covers. ``box`` is the main
product's (x0, y0, x1, y1) on the canvas.
"""

from __future__ import annotations

import cv2
import numpy as np

SKIN_TONES = np.array(
    [
        [0.96, 0.82, 0.72],
        [0.87, 0.68, 0.55],
        [0.76, 0.56, 0.42],
        [0.55, 0.38, 0.27],
        [0.36, 0.24, 0.17],
    ],
    np.float32,
)
BADGE_WORDS = (
    "TOP REVIEWED", "BEST SELLER", "SALE", "NEW", "-30%", "FREE SHIPPING", "HOT", "50% OFF",
    "LIMITED", "$19.99", "ORGANIC", "PREMIUM QUALITY", "100% COTTON", "GIFT", "IN STOCK", "2 FOR 1",
)  # fmt: skip
FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_TRIPLEX)


def _paint(canvas: np.ndarray, alpha: np.ndarray, colour) -> np.ndarray:
    """Blend ``colour`` (RGB, or an HxWx3 image) into ``canvas`` by ``alpha``; returns alpha."""
    a = alpha[..., None]
    canvas *= 1 - a
    canvas += a * np.asarray(colour, np.float32)
    return alpha


def _shade(size: int, rng, strength: float = 0.25) -> np.ndarray:
    """A smooth light falloff across the canvas (HxWx1), so flat shapes look lit."""
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[:size, :size].astype(np.float32) / size
    ramp = (xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle)
    return (1 + strength * ramp)[..., None]


def _random_colour(rng) -> np.ndarray:
    kind = rng.random()
    if kind < 0.3:
        return np.array([0.62, 0.47, 0.32]) * rng.uniform(0.8, 1.15)  # kraft / wood
    if kind < 0.5:
        return np.full(3, rng.uniform(0.85, 1.0))  # white
    if kind < 0.65:
        return np.full(3, rng.uniform(0.05, 0.25))  # black
    return rng.uniform(0.1, 0.95, 3)


def carton(canvas: np.ndarray, box, rng) -> np.ndarray:
    """A shaded cuboid (shoe box, packaging) standing beside or behind the product."""
    size = canvas.shape[0]
    x0, y0, x1, y1 = box
    w = int((x1 - x0) * rng.uniform(0.6, 1.3)) + 4
    h = int((y1 - y0) * rng.uniform(0.3, 0.9)) + 4
    depth = int(w * rng.uniform(0.15, 0.35))
    side = -1 if rng.random() < 0.5 else 1
    cx = (x0 + x1) // 2 + side * int((x1 - x0) * rng.uniform(0.3, 0.8))
    bottom = min(size - 1, y1 + int(rng.uniform(-0.05, 0.05) * size))
    fx0, fx1, fy0 = cx - w // 2, cx + w // 2, bottom - h
    faces = [
        (np.array([[fx0, bottom], [fx1, bottom], [fx1, fy0], [fx0, fy0]]), 1.0),
        (np.array([[fx0, fy0], [fx1, fy0], [fx1 + depth, fy0 - depth], [fx0 + depth, fy0 - depth]]), 1.12),
        (np.array([[fx1, bottom], [fx1 + depth, bottom - depth], [fx1 + depth, fy0 - depth], [fx1, fy0]]), 0.78),
    ]  # fmt: skip
    colour = _random_colour(rng)
    opacity = np.zeros(canvas.shape[:2], np.float32)
    for points, light in faces:
        face = np.zeros_like(opacity)
        cv2.fillPoly(face, [points.astype(np.int32)], 1.0, cv2.LINE_AA)
        _paint(canvas, face, np.clip(colour * light, 0, 1))
        opacity = np.maximum(opacity, face)
    return opacity


def pedestal(canvas: np.ndarray, box, rng) -> np.ndarray:
    """A stand, cushion or plinth under the product (the product is drawn over it later)."""
    size = canvas.shape[0]
    x0, _, x1, y1 = box
    cx = (x0 + x1) // 2
    half = int((x1 - x0) * rng.uniform(0.6, 0.9)) + 2
    top = min(size - 2, y1 - int(rng.uniform(0.0, 0.04) * size))
    height = int(size * rng.uniform(0.08, 0.3))
    rim = max(2, int(half * rng.uniform(0.1, 0.3)))
    shape = np.zeros(canvas.shape[:2], np.float32)
    cv2.rectangle(shape, (cx - half, top), (cx + half, top + height), 1.0, -1)
    cv2.ellipse(shape, (cx, top), (half, rim), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    if rng.random() < 0.5:  # cushion: soft outline
        shape = cv2.GaussianBlur(shape, (0, 0), max(1.0, rim * 0.5))
    colour = _random_colour(rng)
    texture = (
        colour * _shade(size, rng) * (1 + rng.normal(0, 0.03, canvas.shape).astype(np.float32))
    )
    return _paint(canvas, shape, np.clip(texture, 0, 1))


def surface(canvas: np.ndarray, rng, texture: np.ndarray | None) -> np.ndarray:
    """A table top or floor filling the canvas below a horizon line."""
    size = canvas.shape[0]
    horizon = int(size * rng.uniform(0.55, 0.85))
    plane = np.zeros(canvas.shape[:2], np.float32)
    plane[horizon:] = 1.0
    fill = texture if texture is not None else _random_colour(rng) * _shade(size, rng, 0.4)
    return _paint(canvas, plane, np.clip(fill, 0, 1))


def hanger(canvas: np.ndarray, box, rng) -> np.ndarray:
    """A clothes hanger (hook and shoulders) above the garment, partly hidden behind it."""
    x0, y0, x1, _ = box
    cx, w = (x0 + x1) // 2, max(8, int((x1 - x0) * rng.uniform(0.5, 0.9)))
    thick = max(1, int(w * rng.uniform(0.02, 0.05)))
    shoulder = y0 + int((box[3] - y0) * rng.uniform(0.0, 0.08))
    hook = max(4, int(w * 0.18))
    shape = np.zeros(canvas.shape[:2], np.float32)
    cv2.line(
        shape,
        (cx - w // 2, shoulder + hook // 2),
        (cx, shoulder - hook // 2),
        1.0,
        thick,
        cv2.LINE_AA,
    )
    cv2.line(
        shape,
        (cx + w // 2, shoulder + hook // 2),
        (cx, shoulder - hook // 2),
        1.0,
        thick,
        cv2.LINE_AA,
    )
    cv2.line(shape, (cx, shoulder - hook // 2), (cx, shoulder - hook), 1.0, thick, cv2.LINE_AA)
    cv2.ellipse(shape, (cx + hook // 3, shoulder - hook), (hook // 3, hook // 3), 0, 180, 360, 1.0, thick, cv2.LINE_AA)  # fmt: skip
    colour = (
        rng.choice([0.08, 0.6, 0.85]) * np.ones(3) if rng.random() < 0.6 else _random_colour(rng)
    )
    return _paint(canvas, shape, colour)


def hand(canvas: np.ndarray, box, rng) -> np.ndarray:
    """A hand holding the product from one side: palm outside it, fingers over its edge."""
    size = canvas.shape[0]
    x0, y0, x1, y1 = box
    scale = max(6.0, min(x1 - x0, y1 - y0) * rng.uniform(0.25, 0.5))
    edge = rng.integers(4)  # which side of the product the hand grips: left, right, bottom, top
    t = rng.uniform(0.3, 0.7)
    grip = [(x0, y0 + t * (y1 - y0)), (x1, y0 + t * (y1 - y0)), (x0 + t * (x1 - x0), y1), (x0 + t * (x1 - x0), y0)][edge]  # fmt: skip
    outward = np.array([(-1, 0), (1, 0), (0, 1), (0, -1)][edge], np.float32)
    palm = np.array(grip, np.float32) + outward * scale * 0.9
    shape = np.zeros(canvas.shape[:2], np.float32)
    angle = np.degrees(np.arctan2(outward[1], outward[0]))
    cv2.ellipse(shape, tuple(int(v) for v in palm), (int(scale * 0.8), int(scale * 0.6)), angle, 0, 360, 1.0, -1, cv2.LINE_AA)  # fmt: skip
    # Four fingers reaching over the edge, a thumb on the near side.
    across = np.array([-outward[1], outward[0]])
    for i in range(4):
        base = palm + across * scale * (i - 1.5) * 0.35
        tip = base - outward * scale * rng.uniform(1.1, 1.5)
        width = max(2, int(scale * 0.28))
        cv2.line(
            shape, tuple(int(v) for v in base), tuple(int(v) for v in tip), 1.0, width, cv2.LINE_AA
        )
    thumb_base = palm + across * scale * 0.7
    thumb_tip = thumb_base - outward * scale * 0.6 + across * scale * 0.6
    cv2.line(shape, tuple(int(v) for v in thumb_base), tuple(int(v) for v in thumb_tip), 1.0, max(2, int(scale * 0.32)), cv2.LINE_AA)  # fmt: skip
    # The wrist leaves the frame away from the product.
    wrist_end = palm + outward * size
    cv2.line(shape, tuple(int(v) for v in palm), tuple(int(v) for v in wrist_end), 1.0, max(3, int(scale * 1.1)), cv2.LINE_AA)  # fmt: skip
    tone = SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.9, 1.05)
    skin = np.clip(tone * _shade(size, rng, 0.35), 0, 1)
    return _paint(canvas, shape, skin)


def badge(canvas: np.ndarray, keep_clear: np.ndarray, rng) -> np.ndarray:
    """Seller text or a badge (with or without a filled shape) in a corner or along an edge,
    where it does not cover the product (``keep_clear`` True on product pixels)."""
    size = canvas.shape[0]
    word = BADGE_WORDS[rng.integers(len(BADGE_WORDS))]
    font = FONTS[rng.integers(len(FONTS))]
    thickness = int(rng.integers(1, 4))
    (tw, th), _ = cv2.getTextSize(word, font, 1.0, thickness)
    font_scale = size * rng.uniform(0.15, 0.45) / tw
    (tw, th), base = cv2.getTextSize(word, font, font_scale, thickness)
    pad = int(th * rng.uniform(0.3, 0.8))
    w, h = tw + 2 * pad, th + base + 2 * pad
    if w >= size or h >= size:
        return np.zeros(canvas.shape[:2], np.float32)
    x = int(rng.choice([rng.uniform(0, 0.1), rng.uniform(0.9, 1.0)]) * (size - w))
    y = int(rng.uniform(0, 1) * (size - h))
    if keep_clear[max(0, y - 2) : y + h + 2, max(0, x - 2) : x + w + 2].any():
        return np.zeros(canvas.shape[:2], np.float32)
    opacity = np.zeros(canvas.shape[:2], np.float32)
    colour = _random_colour(rng)
    if rng.random() < 0.6:  # a filled badge behind the text
        shape = np.zeros_like(opacity)
        if rng.random() < 0.5:
            cv2.rectangle(shape, (x, y), (x + w, y + h), 1.0, -1)
        else:
            cv2.ellipse(shape, (x + w // 2, y + h // 2), (w // 2, h // 2), 0, 0, 360, 1.0, -1, cv2.LINE_AA)  # fmt: skip
        opacity = _paint(canvas, shape, colour)
        colour = 1.0 - colour.round()  # text in a contrasting colour
    text = np.zeros_like(opacity)
    cv2.putText(text, word, (x + pad, y + pad + th), font, font_scale, 1.0, thickness, cv2.LINE_AA)
    _paint(canvas, text, colour)
    return np.maximum(opacity, text)
