"""Synthetic product photos: foregrounds pasted onto backgrounds, with labels that are exact.

Sample ``k`` is a pure function of (seed, k), like the real pairs, so training resumes exactly.
A sample is built at the training size in float [0, 1]:

1. a background: a studio sweep (plain or gradient; near-white, grey or coloured), a photo or
   texture, or a "hard negative" coloured like the product itself;
2. one to three foregrounds (studio cutouts, or objects cut from the real training pairs) at a
   random scale and place, each with a synthetic contact and/or cast shadow *labelled background*
   (shadows in the cutouts' own alpha are labelled background too);
3. alpha-correct blending (I = a F + (1 - a) B), then lighting and colour-temperature shifts,
   blur, noise and JPEG re-compression.

Labels: 255 product, 0 background, 128 (ignored) in a thin band where alpha is in between.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.data import props
from skucut.data.pairs import IMAGE_EXTS, Pair, training_sample

PRODUCT_ALPHA = 0.6  # alpha at or above this is product
BACKGROUND_ALPHA = 0.3  # below this, background (a cutout's soft shadow lives here)


@dataclass(frozen=True)
class Foreground:
    """Kept in 8 bits (thousands of them stay in memory for a run); float from _place on."""

    rgb: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray  # HxW uint8 (may include a soft shadow)
    label: np.ndarray  # HxW uint8 0/128/255
    person: np.ndarray  # HxW uint8 0/128/255: skin and hair of a person in it (0 on products)

    def flipped(self) -> Foreground:
        return Foreground(*(a[:, ::-1] for a in (self.rgb, self.alpha, self.label, self.person)))


@dataclass(frozen=True)
class CompositeCfg:
    max_objects: int = 3
    scale: tuple[float, float] = (0.35, 0.9)  # object's longer side / canvas side
    p_studio: float = 0.45  # background kinds; the rest are photos
    p_hard_negative: float = 0.15
    p_contact_shadow: float = 0.6
    p_cast_shadow: float = 0.35
    p_blur: float = 0.2
    p_noise: float = 0.3
    p_jpeg: float = 0.5
    # Seller-added padding: solid bars on two sides (letterbox), always background.
    p_letterbox: float = 0.15
    letterbox: tuple[float, float] = (0.05, 0.2)  # bar width / canvas side
    # Hard cases of real shop photos (skucut.data.props), all off by default so older recipes
    # keep their data. A white or near-white main product on a near-white sweep:
    p_white: float = 0.0
    # Props labelled background: a table top, a carton beside the product, a stand or cushion
    # under it, a hanger above it, seller badges and text on the backdrop. A hand holding it is
    # subject and person (people who hold the product stay in the default cutout).
    p_surface: float = 0.0
    p_carton: float = 0.0
    p_pedestal: float = 0.0
    p_hanger: float = 0.0
    p_hand: float = 0.0
    p_badge: float = 0.0
    # A see-through hole punched in the main product (the backdrop shows through: background).
    p_hole: float = 0.0
    # Of the hard negatives (a backdrop coloured like the product), the share that is a
    # textured photo tinted to the product's colour rather than a plain sweep: a red saucer
    # on red-brown wood, which plain sweeps never taught.
    p_hard_texture: float = 0.0


def _crop_to_alpha(rgb, alpha, label, person):
    """The foreground cropped to its alpha; ``rgb`` and ``alpha`` in [0, 1] or uint8."""
    rgb8, alpha8 = (_to_u8(x) for x in (rgb, alpha))
    ys, xs = np.nonzero(alpha8 > 5)
    if ys.size == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = (slice(y0, y1), slice(x0, x1))
    return Foreground(*(a[crop].copy() for a in (rgb8, alpha8, label, person)))


def _to_u8(x: np.ndarray) -> np.ndarray:
    return x if x.dtype == np.uint8 else (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def label_from_alpha(alpha: np.ndarray) -> np.ndarray:
    label = np.full(alpha.shape, 128, np.uint8)
    label[alpha >= PRODUCT_ALPHA] = 255
    label[alpha < BACKGROUND_ALPHA] = 0
    return label


# Cutout folders with people in some cutouts (models wearing the product): their person map is
# unknown, so a model's person output is not taught "no person" on a face.
PEOPLE_CUTOUT_DIRS = ("storefront-ui",)


def load_cutouts(folders: list[str | Path], max_side: int = 512) -> list[Foreground]:
    """RGBA cutouts (straight alpha; PNG or WebP) from folders; their soft shadows become
    background."""
    out = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() not in (".png", ".webp"):
                continue
            image = Image.open(path).convert("RGBA")
            image.thumbnail((max_side, max_side), Image.LANCZOS)
            rgba = np.asarray(image)
            label = label_from_alpha(rgba[..., 3].astype(np.float32) / 255.0)
            people = any(part in PEOPLE_CUTOUT_DIRS for part in path.parts)
            person = np.where(label > 0, 128 if people else 0, 0).astype(np.uint8)
            fg = _crop_to_alpha(rgba[..., :3], rgba[..., 3], label, person)
            if fg is not None:
                out.append(fg)
    return out


def objects_from_pairs(pairs: list[Pair], min_fraction: float = 0.05) -> list[Foreground]:
    """Objects cut out of real pairs (only masks with a clear object; 128 kept as ignore)."""
    out = []
    for pair in pairs:
        fg_mask = pair.mask == 255
        if fg_mask.mean() < min_fraction:
            continue
        alpha = cv2.GaussianBlur(fg_mask.astype(np.float32), (3, 3), 0)  # 1 px soft edge
        label = pair.mask.copy()
        label[(pair.mask == 0) & (alpha > 0)] = 128  # the feathered rim is not sure either
        person = np.full(label.shape, 128, np.uint8) if pair.person is None else pair.person
        fg = _crop_to_alpha(pair.image, alpha, label, person)
        if fg is not None:
            out.append(fg)
    return out


def load_backgrounds(folders: list[str | Path], max_side: int = 512) -> list[np.ndarray]:
    out = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() in IMAGE_EXTS:
                image = Image.open(path).convert("RGB")
                image.thumbnail((max_side, max_side), Image.LANCZOS)
                out.append(np.asarray(image))
    return out


def _studio(size: int, rng: np.random.Generator, colour=None) -> np.ndarray:
    """Plain or gradient sweep; near-white and grey most of the time, like real shop photos."""
    if colour is None:
        kind = rng.random()
        if kind < 0.45:
            colour = np.full(3, rng.uniform(0.88, 1.0))  # near-white
        elif kind < 0.75:
            colour = np.full(3, rng.uniform(0.35, 0.85))  # grey
        else:
            colour = rng.uniform(0.1, 1.0, 3)  # coloured paper
    top = np.clip(np.asarray(colour) * rng.uniform(0.85, 1.1), 0, 1)
    bottom = np.clip(np.asarray(colour) * rng.uniform(0.8, 1.05), 0, 1)
    t = np.linspace(0, 1, size, dtype=np.float32)[:, None, None] ** rng.uniform(0.5, 2)
    return np.broadcast_to(top * (1 - t) + bottom * t, (size, size, 3)).astype(np.float32)


def _photo(backgrounds, size: int, rng: np.random.Generator) -> np.ndarray:
    image = backgrounds[rng.integers(len(backgrounds))]
    h, w = image.shape[:2]
    side = int(min(h, w) * rng.uniform(0.4, 1.0))
    y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    crop = image[y : y + side, x : x + side]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def _tinted(photo: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """``photo``'s texture (its brightness, contrast kept) in the colour ``colour``."""
    grey = photo @ np.float32([0.299, 0.587, 0.114])
    texture = grey / max(float(grey.mean()), 0.02)
    return np.clip(texture[..., None] * np.asarray(colour, np.float32), 0, 1)


def _shadow(alpha_canvas: np.ndarray, box, rng: np.random.Generator, cfg: CompositeCfg):
    """Shadow darkness in [0, 1] for one placed object (its box: x0, y0, x1, y1)."""
    size = alpha_canvas.shape[0]
    x0, y0, x1, y1 = box
    shadow = np.zeros_like(alpha_canvas)
    if rng.random() < cfg.p_contact_shadow:
        centre = ((x0 + x1) // 2, min(y1 - 1, size - 1))
        axes = (max(1, int((x1 - x0) * rng.uniform(0.35, 0.55))), max(1, int((y1 - y0) * 0.06)))
        ellipse = np.zeros_like(alpha_canvas)
        cv2.ellipse(ellipse, centre, axes, 0, 0, 360, 1.0, -1)
        sigma = max(1.0, axes[1] * rng.uniform(0.5, 1.5))
        shadow = np.maximum(
            shadow, cv2.GaussianBlur(ellipse, (0, 0), sigma) * rng.uniform(0.3, 0.7)
        )
    if rng.random() < cfg.p_cast_shadow:
        # The silhouette thrown sideways on the floor: sheared from its base, softened.
        shear = rng.uniform(-0.8, 0.8)
        squash = rng.uniform(0.3, 0.8)
        matrix = np.float32([[1, shear, -shear * y1], [0, squash, y1 * (1 - squash)]])
        cast = cv2.warpAffine(alpha_canvas, matrix, (size, size))
        sigma = max(1.0, 0.02 * size * rng.uniform(0.5, 2))
        shadow = np.maximum(shadow, cv2.GaussianBlur(cast, (0, 0), sigma) * rng.uniform(0.2, 0.6))
    return shadow


def _whiten(fg: Foreground, rng: np.random.Generator) -> Foreground:
    """The product as a white or near-white one: its shading kept, compressed near 1."""
    grey = fg.rgb @ (np.float32([0.299, 0.587, 0.114]) / 255)
    depth = rng.uniform(0.08, 0.3)
    tint = 1 - rng.uniform(0, 0.04, 3).astype(np.float32)
    rgb = (1 - (1 - grey[..., None]) * depth) * tint
    return Foreground(_to_u8(rgb), fg.alpha, fg.label, fg.person)


def _punch_hole(alpha: np.ndarray, label: np.ndarray, rng: np.random.Generator):
    """An elliptical see-through hole well inside the product (none if it is too thin)."""
    inside = cv2.distanceTransform((label == 255).astype(np.uint8), cv2.DIST_L2, 5)
    radius = inside.max() * rng.uniform(0.3, 0.6)
    if radius < 3:
        return alpha, label
    ys, xs = np.nonzero(inside > radius * 1.3)
    if not len(ys):
        return alpha, label
    i = rng.integers(len(ys))
    hole = np.zeros(alpha.shape, np.uint8)
    axes = (int(radius), int(radius * rng.uniform(0.4, 1.0)))
    cv2.ellipse(hole, (int(xs[i]), int(ys[i])), axes, rng.uniform(0, 180), 0, 360, 1, -1)
    rim = cv2.dilate(hole, np.ones((3, 3), np.uint8)) & ~hole.astype(bool)
    alpha, label = alpha.copy(), label.copy()
    alpha[hole > 0] = 0
    label[hole > 0] = 0
    label[(rim > 0) & (label == 255)] = 128
    return alpha, label


def _hold(label: np.ndarray, person: np.ndarray, opacity: np.ndarray):
    """Labels after a hand is drawn over the scene: the hand is subject and person where it
    is opaque, its soft rim unknown in both."""
    label, person = label.copy(), person.copy()
    rim = (opacity >= BACKGROUND_ALPHA) & (opacity < PRODUCT_ALPHA)
    label[rim], person[rim] = 128, 128
    opaque = opacity >= PRODUCT_ALPHA
    label[opaque], person[opaque] = 255, 255
    return label, person


class CompositePairs:
    """Synthetic pairs at ``size`` x ``size``; ``__getitem__(k)`` is deterministic in (seed, k)."""

    def __init__(
        self,
        foregrounds: list[Foreground],
        backgrounds: list[np.ndarray],
        size: int,
        seed: int,
        cfg: CompositeCfg | None = None,
    ):
        if not foregrounds:
            raise ValueError("compositing needs at least one foreground (cutout or object)")
        self.foregrounds, self.backgrounds = foregrounds, backgrounds
        self.size, self.seed, self.cfg = size, seed, cfg or CompositeCfg()

    def sample(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(RGB uint8, subject label uint8, person label uint8) for sample ``k``."""
        rng = np.random.default_rng([self.seed, k, 2])
        # The hard cases draw from their own stream, so a recipe without them is unchanged.
        hard = np.random.default_rng([self.seed, k, 5])
        size, cfg = self.size, self.cfg
        picks = [
            self.foregrounds[i]
            for i in rng.integers(len(self.foregrounds), size=rng.integers(1, cfg.max_objects + 1))
        ]
        white = hard.random() < cfg.p_white
        if white:
            picks[0] = _whiten(picks[0], hard)
        kind = rng.random()
        if white:
            canvas = _studio(size, rng, np.full(3, hard.uniform(0.9, 1.0)))
        elif kind < cfg.p_hard_negative:  # background coloured like the product
            product = picks[0].rgb[picks[0].label == 255] / np.float32(255)
            colour = None
            if len(product):
                colour = np.clip(product.mean(axis=0) + rng.normal(0, 0.04, 3), 0, 1)
            textured = cfg.p_hard_texture and self.backgrounds and colour is not None
            if textured and hard.random() < cfg.p_hard_texture:
                canvas = _tinted(_photo(self.backgrounds, size, hard), colour)
            else:
                canvas = _studio(size, rng, colour)
        elif kind < cfg.p_hard_negative + cfg.p_studio or not self.backgrounds:
            canvas = _studio(size, rng)
        else:
            canvas = _photo(self.backgrounds, size, rng)
        canvas = canvas.copy()
        if hard.random() < cfg.p_surface:
            texture = _photo(self.backgrounds, size, hard) if self.backgrounds else None
            props.surface(canvas, hard, texture)
        label = np.zeros((size, size), np.uint8)
        person = np.zeros((size, size), np.uint8)
        main_box = None
        for n, fg in enumerate(picks):
            placed = self._place(fg, rng, first=n == 0)
            if placed is None:
                continue
            rgb, alpha, lab, per, box = placed
            if n == 0:
                main_box = box
                if hard.random() < cfg.p_hole:
                    alpha, lab = _punch_hole(alpha, lab, hard)
                self._props_behind(canvas, box, hard)  # the label stays background
            dark = _shadow(alpha, box, rng, cfg) * (1 - alpha)  # shadows only on what is behind
            canvas *= (1 - dark)[..., None]
            a = alpha[..., None]
            canvas = a * rgb + (1 - a) * canvas
            # The new object's label wins where it is opaque; its soft rim is "ignore" unless
            # another product lies behind it; its shadow leaves the labels below unchanged.
            opaque = alpha >= PRODUCT_ALPHA
            rim = (alpha >= BACKGROUND_ALPHA) & ~opaque & (label != 255)
            label = np.where(opaque, lab, np.where(rim, 128, label)).astype(np.uint8)
            person = np.where(opaque, per, np.where(rim, 128, person)).astype(np.uint8)
        if main_box is not None and hard.random() < cfg.p_hand:
            label, person = _hold(label, person, props.hand(canvas, main_box, hard))
        if hard.random() < cfg.p_badge:
            for _ in range(hard.integers(1, 3)):
                props.badge(canvas, label == 255, hard)  # only over background: stays 0
        canvas, label = self._letterbox(canvas, label, np.random.default_rng([self.seed, k, 4]))
        image = self._photometric(canvas, rng)
        person[label == 0] = 0  # a person is part of the subject: never on the background
        return image, label, person

    def _props_behind(self, canvas: np.ndarray, box, rng: np.random.Generator) -> None:
        cfg = self.cfg
        for p, draw in (
            (cfg.p_carton, props.carton),
            (cfg.p_pedestal, props.pedestal),
            (cfg.p_hanger, props.hanger),
        ):
            if rng.random() < p:
                draw(canvas, box, rng)

    def _letterbox(self, canvas, label, rng: np.random.Generator):
        """Solid bars on two opposite sides, labelled background (a separate RNG stream, so
        the rest of each sample is unchanged)."""
        if rng.random() >= self.cfg.p_letterbox:
            return canvas, label
        width = max(1, int(self.size * rng.uniform(*self.cfg.letterbox)))
        colour = rng.choice([0.0, 0.0, 1.0, rng.uniform(0.05, 0.95)])
        canvas, label = canvas.copy(), label.copy()
        horizontal = rng.random() < 0.5  # top and bottom, else left and right
        for bar in (slice(None, width), slice(-width, None)):
            index = (bar, slice(None)) if horizontal else (slice(None), bar)
            canvas[index], label[index] = colour, 0
        return canvas, label

    def _place(self, fg: Foreground, rng: np.random.Generator, first: bool):
        size, cfg = self.size, self.cfg
        h, w = fg.alpha.shape
        scale = rng.uniform(*cfg.scale) * size / max(h, w)
        if not first:
            scale *= rng.uniform(0.5, 1.0)
        nw, nh = max(2, int(w * scale)), max(2, int(h * scale))
        if rng.random() < 0.5:
            fg = fg.flipped()
        rgb = cv2.resize(np.ascontiguousarray(fg.rgb), (nw, nh), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(np.ascontiguousarray(fg.alpha), (nw, nh), interpolation=cv2.INTER_AREA)
        rgb, alpha = rgb.astype(np.float32) / 255, alpha.astype(np.float32) / 255
        labels = np.ascontiguousarray(np.dstack([fg.label, fg.person]))
        labels = cv2.resize(labels, (nw, nh), interpolation=cv2.INTER_NEAREST)
        # Centre anywhere that keeps most of the object in frame (first object: near the middle).
        spread = 0.15 if first else 0.4
        cx = int(size / 2 + rng.uniform(-spread, spread) * size)
        cy = int(size / 2 + rng.uniform(-spread, spread) * size)
        x0, y0 = cx - nw // 2, cy - nh // 2
        full = [
            np.zeros((size, size, 3), np.float32),
            np.zeros((size, size), np.float32),
            np.zeros((size, size, 2), np.uint8),
        ]
        sx0, sy0 = max(0, -x0), max(0, -y0)
        dx0, dy0 = max(0, x0), max(0, y0)
        dx1, dy1 = min(size, x0 + nw), min(size, y0 + nh)
        if dx1 <= dx0 or dy1 <= dy0:
            return None
        region = (slice(dy0, dy1), slice(dx0, dx1))
        src = (slice(sy0, sy0 + dy1 - dy0), slice(sx0, sx0 + dx1 - dx0))
        full[0][region], full[1][region], full[2][region] = rgb[src], alpha[src], labels[src]
        return full[0], full[1], full[2][..., 0], full[2][..., 1], (dx0, dy0, dx1, dy1)

    def _photometric(self, canvas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        cfg = self.cfg
        # Lighting and colour temperature: per-channel gains around a random exposure.
        temperature = rng.uniform(-0.08, 0.08)
        gains = rng.uniform(0.85, 1.15) * np.array([1 + temperature, 1, 1 - temperature])
        image = np.clip(canvas * gains.astype(np.float32), 0, 1)
        if rng.random() < cfg.p_blur:
            image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.2))
        if rng.random() < cfg.p_noise:
            image = image + rng.normal(0, rng.uniform(0.005, 0.03), image.shape).astype(np.float32)
        image = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
        if rng.random() < cfg.p_jpeg:
            buf = io.BytesIO()
            Image.fromarray(image).save(buf, "JPEG", quality=int(rng.integers(50, 96)))
            image = np.asarray(Image.open(buf).convert("RGB"))
        return image


class MixedSamples:
    """Real augmented pairs and composites, mixed by ``composite_weight``; deterministic in k."""

    def __init__(self, real, composite: CompositePairs | None, composite_weight: float, mean, std):
        self.real, self.composite, self.weight = real, composite, composite_weight
        self.mean, self.std = mean, std

    def __len__(self) -> int:
        return len(self.real)

    def __getitem__(self, k: int) -> dict[str, np.ndarray]:
        use_composite = self.composite is not None and (
            np.random.default_rng([self.real.seed, k, 3]).random() < self.weight
        )
        if not use_composite:
            return self.real[k]
        return training_sample(*self.composite.sample(k), self.mean, self.std)
