"""Training crops for the edge refiner: a photo crop, a degraded coarse alpha, the true alpha.

Edges are taken where they are true:

- studio cutouts with real soft alpha (hair, fuzz, anti-aliased outlines), composited at full
  resolution onto generated studio sweeps (plain, gradient, near-white most often) and photo
  backgrounds, I = a F + (1 - a) B with the cutout's whole alpha, so a soft drop shadow darkens
  the backdrop as in a real photo, but the target keeps only the product (shadows are
  background for our users);
- photos with accurate masks (MSRA, DAVIS), at their own resolution; 128 (void) is ignored.

The coarse alpha the refiner sees is the true alpha degraded the way a segmentation model's map
is: predicted at 2-6x lower resolution, soft or hard, eroded or dilated, shifted, blurred, with
holes and blobs, then upsampled. Sample ``k`` is a pure function of (seed, k), so training
resumes exactly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp")
PRODUCT_ALPHA = 0.6  # a cutout's alpha at or above this is surely product
SHADOW_REACH = 3  # px: soft alpha farther than this from sure product is shadow (background)


@dataclass(frozen=True)
class EdgeSource:
    rgb: np.ndarray  # HxWx3 uint8: the foreground colours (a cutout) or the whole photo
    alpha: np.ndarray | None  # HxW uint8: the cutout's whole alpha (None for a photo)
    target: np.ndarray  # HxW uint8: the true alpha of the product (0..255)
    weight: np.ndarray | None  # HxW uint8: 0 where the label is void, else None (all valid)
    edges: np.ndarray  # K x 2 (y, x) positions on the true outline, to centre crops on
    coarse: np.ndarray | None = None  # HxW uint8: a real model's map of this photo (edge_maps)


@dataclass(frozen=True)
class EdgeCfg:
    crop: int = 80  # side of a training crop (a multiple of 8)
    margin: int = 24  # extra context the degradations are made on, cropped away after
    p_cutout: float = 0.6  # else a photo with an accurate mask
    p_studio: float = 0.6  # of the cutouts' backgrounds; the rest are photos
    p_off_edge: float = 0.1  # crops anywhere, so flat regions stay as they are
    scale: tuple[float, float] = (0.5, 1.6)  # of a cutout (about 500-1024 px as stored)
    model_factor: tuple[float, float] = (1.5, 6.0)  # full resolution / coarse map resolution
    p_hard: float = 0.2  # a thresholded coarse map (staircase), else a soft probability
    p_holes: float = 0.25
    p_jpeg: float = 0.4
    p_noise: float = 0.3
    p_blur: float = 0.15
    p_model_map: float = 0.7  # a photo with a model's own map as the coarse input, when given


def _edges(target: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    solid = (target >= 128).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    rim = cv2.dilate(solid, kernel) != cv2.erode(solid, kernel)
    rim |= (target > 5) & (target < 250)
    if weight is not None:
        rim &= weight > 0
    ys, xs = np.nonzero(rim)
    step = max(1, len(ys) // 4000)  # enough positions, little memory
    return np.stack([ys[::step], xs[::step]], 1).astype(np.int32)


def _product_alpha(alpha: np.ndarray) -> np.ndarray:
    """The cutout's alpha without its soft shadow: soft alpha only near sure product."""
    sure = (alpha >= PRODUCT_ALPHA * 255).astype(np.uint8)
    size = 2 * SHADOW_REACH + 1
    near = cv2.dilate(sure, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    return np.where(near > 0, alpha, 0).astype(np.uint8)


def load_cutout_sources(folders: list[str | Path]) -> list[EdgeSource]:
    out = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix.lower() not in (".png", ".webp"):
                continue
            rgba = np.asarray(Image.open(path).convert("RGBA"))
            alpha = np.ascontiguousarray(rgba[..., 3])
            target = _product_alpha(alpha)
            edges = _edges(target, None)
            if len(edges):
                out.append(
                    EdgeSource(np.ascontiguousarray(rgba[..., :3]), alpha, target, None, edges)
                )
    return out


def load_pair_sources(roots: list[str | Path]) -> list[EdgeSource]:
    """``images/NAME.jpg`` + ``masks/NAME.png`` (255 object, 0 background, 128 void)."""
    out = []
    for root in roots:
        for image_path in sorted((Path(root) / "images").iterdir()):
            mask_path = Path(root) / "masks" / f"{image_path.stem}.png"
            if image_path.suffix.lower() not in IMAGE_EXTS or not mask_path.exists():
                continue
            rgb = cv2.cvtColor(cv2.imread(str(image_path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
            if mask is None or mask.shape != rgb.shape[:2]:
                continue
            weight = (mask != 128).astype(np.uint8) if (mask == 128).any() else None
            target = np.where(mask > 128, 255, 0).astype(np.uint8)
            edges = _edges(target, weight)
            if len(edges):
                out.append(EdgeSource(rgb, None, target, weight, edges))
    return out


def _studio(shape, rng) -> np.ndarray:
    """A plain or gradient sweep; near-white most of the time, like real shop photos."""
    kind = rng.random()
    if kind < 0.5:
        colour = np.full(3, rng.uniform(0.85, 1.0))
    elif kind < 0.8:
        colour = np.full(3, rng.uniform(0.3, 0.85))
    else:
        colour = rng.uniform(0.05, 1.0, 3)
    h, w = shape
    top = np.clip(colour * rng.uniform(0.9, 1.08), 0, 1)
    bottom = np.clip(colour * rng.uniform(0.85, 1.05), 0, 1)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - t) + bottom * t, (h, w, 3)).astype(np.float32)


def _photo_crop(backgrounds, shape, rng) -> np.ndarray:
    image = backgrounds[rng.integers(len(backgrounds))]
    h, w = shape
    zoom = rng.uniform(0.5, 2.0)  # backgrounds are stored at most 1600 px: sharp or soft
    ch, cw = min(image.shape[0], max(4, int(h / zoom))), min(image.shape[1], max(4, int(w / zoom)))
    y, x = rng.integers(0, image.shape[0] - ch + 1), rng.integers(0, image.shape[1] - cw + 1)
    crop = cv2.resize(image[y : y + ch, x : x + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    return crop.astype(np.float32) / 255.0


def _window(src: EdgeSource, side: int, scale: float, rng, cfg: EdgeCfg):
    """A (side/scale)-sized window of the source around an edge (or anywhere), resized to side."""
    h, w = src.target.shape
    native = max(8, round(side / scale))
    if rng.random() < cfg.p_off_edge:
        cy, cx = rng.integers(0, h), rng.integers(0, w)
    else:
        cy, cx = src.edges[rng.integers(len(src.edges))]
        jitter = native // 4
        cy, cx = cy + rng.integers(-jitter, jitter + 1), cx + rng.integers(-jitter, jitter + 1)
    y0, x0 = int(cy) - native // 2, int(cx) - native // 2

    def take(a: np.ndarray, fill: int) -> np.ndarray:
        # Out-of-image parts are padding: background for a cutout (alpha 0), void for a photo.
        pad = ((native, native), (native, native)) + ((0, 0),) * (a.ndim - 2)
        padded = np.pad(a, pad, mode="constant", constant_values=fill)
        cut = padded[y0 + native : y0 + 2 * native, x0 + native : x0 + 2 * native]
        interp = cv2.INTER_AREA if native > side else cv2.INTER_LINEAR
        return cv2.resize(cut, (side, side), interpolation=interp)

    return take


def _degrade_coarse(target: np.ndarray, rng, cfg: EdgeCfg) -> np.ndarray:
    """A segmentation model's map of this crop: low resolution, soft or hard, misplaced."""
    side = target.shape[0]
    factor = rng.uniform(*cfg.model_factor)
    small_side = max(4, round(side / factor))
    small = cv2.resize(target, (small_side, small_side), interpolation=cv2.INTER_AREA)
    # Misplacement: a sub-pixel to 1.5 px shift at the model's resolution, erosion or dilation.
    m = np.float32([[1, 0, rng.uniform(-1.5, 1.5)], [0, 1, rng.uniform(-1.5, 1.5)]])
    small = cv2.warpAffine(small, m, (small_side, small_side), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.5:
        r = int(rng.integers(1, 3))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        small = (cv2.erode if rng.random() < 0.5 else cv2.dilate)(small, kernel)
    if rng.random() < cfg.p_holes:  # blobs of the wrong label where the model went astray
        for _ in range(int(rng.integers(1, 4))):
            centre = (int(rng.integers(0, small_side)), int(rng.integers(0, small_side)))
            radius = int(rng.integers(1, max(2, small_side // 6)))
            cv2.circle(small, centre, radius, float(rng.random() < 0.5), -1)
    if rng.random() < cfg.p_hard:
        small = (small > rng.uniform(0.3, 0.7)).astype(np.float32)
        interp = cv2.INTER_NEAREST if rng.random() < 0.5 else cv2.INTER_LINEAR
    else:
        # A probability: the model's confidence falls off over one to three of its pixels.
        sigma = rng.uniform(0.3, 1.5)
        small = cv2.GaussianBlur(small, (0, 0), sigma)
        steep = rng.uniform(8, 24)
        small = 1 / (1 + np.exp(-steep * (small - rng.uniform(0.35, 0.65))))
        interp = cv2.INTER_LINEAR
    coarse = cv2.resize(small.astype(np.float32), (side, side), interpolation=interp)
    if rng.random() < cfg.p_blur:
        coarse = cv2.GaussianBlur(coarse, (0, 0), rng.uniform(0.5, 2.5))
    return np.clip(coarse, 0, 1)


def _photometric(image: np.ndarray, rng, cfg: EdgeCfg) -> np.ndarray:
    if rng.random() < cfg.p_blur:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 1.0))
    if rng.random() < cfg.p_noise:
        image = image + rng.normal(0, rng.uniform(0.005, 0.03), image.shape).astype(np.float32)
    image = np.clip(image, 0, 1)
    if rng.random() < cfg.p_jpeg:
        buf = io.BytesIO()
        Image.fromarray((image * 255 + 0.5).astype(np.uint8)).save(
            buf, "JPEG", quality=int(rng.integers(60, 96))
        )
        image = np.asarray(Image.open(buf)).astype(np.float32) / 255.0
    return image


class EdgeCrops:
    """Sample ``k`` (a pure function of (seed, k)): dict of ``input`` 4xSxS float32 (RGB in
    [-1, 1], coarse alpha), ``target`` 1xSxS and ``weight`` 1xSxS."""

    def __init__(
        self, cutouts, pairs, backgrounds, cfg: EdgeCfg = EdgeCfg(), seed: int = 0, mapped=()
    ):
        """``mapped``: sources with a model's own map (``coarse``), drawn ``p_model_map`` of
        the time; the rest get the truth degraded as a map would be."""
        if not cutouts and not pairs and not mapped:
            raise ValueError("no edge sources: give cutout folders or image/mask folders")
        self.cutouts, self.pairs, self.backgrounds = cutouts, pairs, backgrounds
        self.mapped = list(mapped)
        self.cfg, self.seed = cfg, seed

    def __len__(self) -> int:
        return 1 << 30  # endless; the loop counts steps

    def __getitem__(self, k: int) -> dict[str, np.ndarray]:
        rng = np.random.default_rng([self.seed, k])
        cfg = self.cfg
        side = cfg.crop + 2 * cfg.margin
        coarse = None
        use_map = self.mapped and (
            not (self.cutouts or self.pairs) or rng.random() < cfg.p_model_map
        )
        use_cutout = (
            not use_map and self.cutouts and (not self.pairs or rng.random() < cfg.p_cutout)
        )
        if use_map:
            src = self.mapped[rng.integers(len(self.mapped))]
            take = _window(src, side, rng.uniform(0.8, 1.25), rng, cfg)
            image = take(src.rgb, 0).astype(np.float32) / 255.0
            target = take(src.target, 0).astype(np.float32) / 255.0
            valid = np.ones(src.target.shape, np.uint8) if src.weight is None else src.weight
            weight = (take(valid, 0) > 0).astype(np.float32)
            coarse = take(src.coarse, 0).astype(np.float32) / 255.0
        elif use_cutout:
            src = self.cutouts[rng.integers(len(self.cutouts))]
            take = _window(src, side, rng.uniform(*cfg.scale), rng, cfg)
            fg = take(src.rgb, 0).astype(np.float32) / 255.0
            alpha = take(src.alpha, 0).astype(np.float32)[..., None] / 255.0
            target = take(src.target, 0).astype(np.float32) / 255.0
            weight = np.ones_like(target)
            if rng.random() < cfg.p_studio or not self.backgrounds:
                bg = _studio((side, side), rng)
            else:
                bg = _photo_crop(self.backgrounds, (side, side), rng)
            image = alpha * fg + (1 - alpha) * bg
        else:
            src = self.pairs[rng.integers(len(self.pairs))]
            take = _window(src, side, rng.uniform(0.8, 1.25), rng, cfg)
            image = take(src.rgb, 0).astype(np.float32) / 255.0
            target = (take(src.target, 0) > 127).astype(np.float32)
            valid = np.ones(src.target.shape, np.uint8) if src.weight is None else src.weight
            weight = (take(valid, 0) > 0).astype(np.float32)
        flip = rng.random() < 0.5
        if flip:
            image, target, weight = image[:, ::-1], target[:, ::-1], weight[:, ::-1]
        if coarse is None:
            image = _photometric(np.ascontiguousarray(image), rng, cfg)
            coarse = _degrade_coarse(np.ascontiguousarray(target), rng, cfg)
        elif flip:  # the model saw the photo as it is: no new blur, noise or JPEG
            coarse = coarse[:, ::-1]
        m, s = cfg.margin, cfg.crop
        inner = (slice(m, m + s), slice(m, m + s))
        rgb = image[inner].transpose(2, 0, 1) * 2.0 - 1.0
        x = np.concatenate([rgb, coarse[inner][None]], 0).astype(np.float32)
        return {
            "input": np.ascontiguousarray(x),
            "target": np.ascontiguousarray(target[inner][None], dtype=np.float32),
            "weight": np.ascontiguousarray(weight[inner][None], dtype=np.float32),
        }
