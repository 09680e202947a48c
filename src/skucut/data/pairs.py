"""Datasets over folders of ``images/NAME.jpg`` + ``masks/NAME.png`` pairs.

Mask values: 255 foreground, 0 background, 128 ignore. Pairs are decoded once and kept in
memory at a bounded size (``max_side``), which makes an epoch cheap on a 2-core machine.

A folder may also hold ``parts/NAME.png`` (0 background, 1 skin, 2 hair, 3 worn items, as
train/ccp): those pairs get a person label (skin and hair, 255) beside the subject mask; pairs
without one leave the person map unknown (128), so a model's person output is not trained there.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from skucut.data.augment import AugmentCfg, colour_jitter, random_warp

IGNORE = 128
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


@dataclass(frozen=True)
class Pair:
    name: str
    image: np.ndarray  # HxWx3 RGB uint8
    mask: np.ndarray  # HxW uint8 (0 / 255 / 128)
    person: np.ndarray | None = None  # HxW uint8 (0 / 255 / 128); None = unknown everywhere


def find_pairs(root: str | Path) -> list[tuple[Path, Path]]:
    """(image, mask) paths under ``root/images`` and ``root/masks``, matched by stem."""
    root = Path(root)
    image_dir, mask_dir = root / "images", root / "masks"
    if not image_dir.is_dir() or not mask_dir.is_dir():
        raise FileNotFoundError(f"{root} must contain images/ and masks/ folders")
    masks = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() == ".png"}
    pairs = [
        (p, masks[p.stem])
        for p in sorted(image_dir.iterdir())
        if p.suffix.lower() in IMAGE_EXTS and p.stem in masks
    ]
    if not pairs:
        raise FileNotFoundError(f"no image/mask pairs found under {root}")
    return pairs


def load_pair(image_path: Path, mask_path: Path, max_side: int | None = None) -> Pair:
    image = cv2.cvtColor(cv2.imread(str(image_path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
    if image is None or mask is None or image.shape[:2] != mask.shape:
        raise ValueError(f"bad pair {image_path.name}: image and mask must load and match in size")
    if max_side and max(mask.shape) > max_side:
        f = max_side / max(mask.shape)
        size = (round(mask.shape[1] * f), round(mask.shape[0] * f))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST)
    person = None
    parts_path = mask_path.parent.parent / "parts" / mask_path.name
    if parts_path.exists():
        parts = cv2.imread(str(parts_path), cv2.IMREAD_GRAYSCALE)
        if parts is None or parts.shape != mask.shape:
            parts = cv2.resize(parts, mask.shape[::-1], interpolation=cv2.INTER_NEAREST)
        person = person_from_parts(parts, mask)
    return Pair(image_path.stem, image, mask, person)


SKIN, HAIR = 1, 2  # labels in a parts/ map (3 = worn items, 0 = background)


def person_from_parts(parts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The person label (skin and hair 255, else 0) of a parts map; unknown where the subject
    mask is unknown."""
    person = np.where((parts == SKIN) | (parts == HAIR), 255, 0).astype(np.uint8)
    person[mask == IGNORE] = IGNORE
    return person


def load_pairs(roots: list[str | Path], max_side: int | None = None) -> list[Pair]:
    return [load_pair(i, m, max_side) for root in roots for i, m in find_pairs(root)]


def read_name_list(path: str | Path) -> set[str]:
    """The entries of a list file: one per line, blank lines and # comments skipped."""
    lines = (line.split("#", 1)[0].strip() for line in Path(path).read_text().splitlines())
    return {line for line in lines if line}


def without_person(pair: Pair) -> Pair:
    """``pair`` labelled "no person" wherever its mask is known (its subject shows none)."""
    person = np.where(pair.mask == IGNORE, IGNORE, 0).astype(np.uint8)
    return Pair(pair.name, pair.image, pair.mask, person)


def ignore_wearer(pair: Pair, head_share: float = 0.13) -> Pair:
    """A whole-person mask made fit for product photos, where only the worn product is
    foreground: skin-coloured pixels and the head (top ``head_share`` of the person) become
    ignore. Clothes of skin-like colours are ignored too: they lose supervision, never get a
    wrong label."""
    person = pair.mask == 255
    if not person.any():
        return pair
    ycc = cv2.cvtColor(pair.image, cv2.COLOR_RGB2YCrCb)
    y, cr, cb = ycc[..., 0], ycc[..., 1], ycc[..., 2]
    skin = (y > 60) & (cr >= 135) & (cr <= 175) & (cb >= 85) & (cb <= 130)
    rows = np.nonzero(person.any(axis=1))[0]
    head = np.zeros_like(person)
    head[rows[0] : rows[0] + int(head_share * (rows[-1] - rows[0] + 1)) + 1] = True
    mask = pair.mask.copy()
    mask[person & (skin | head)] = IGNORE
    return Pair(pair.name, pair.image, mask)  # people are not learnt this way: person unknown


def normalize(image: np.ndarray, mean, std) -> np.ndarray:
    """RGB uint8 HxWx3 -> float32 3xHxW, normalised with the model's mean/std."""
    x = image.astype(np.float32) / 255.0
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def mask_targets(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(target in {0,1}, valid in {0,1}) float32 1xHxW from a 0/128/255 mask."""
    valid = (mask != IGNORE).astype(np.float32)
    target = (mask > IGNORE).astype(np.float32)
    return target[None], valid[None]


def training_sample(image, mask, person, mean, std) -> dict[str, np.ndarray]:
    """What one sample feeds the model: the normalised image, the subject target and its valid
    pixels, the person target and its valid pixels (none where ``person`` is None)."""
    if person is None:
        person = np.full(mask.shape, IGNORE, np.uint8)
    target, valid = mask_targets(mask)
    person_target, person_valid = mask_targets(person)
    return {
        "image": normalize(image, mean, std),
        "target": target,
        "valid": valid,
        "person": person_target,
        "person_valid": person_valid,
    }


class TrainPairs:
    """Augmented training samples; sample ``k`` is a pure function of (seed, k).

    That makes the data stream identical after a resume and independent of worker count.
    """

    def __init__(self, pairs: list[Pair], size: int, mean, std, seed: int, aug: AugmentCfg):
        self.pairs, self.size, self.mean, self.std, self.seed, self.aug = (
            pairs,
            size,
            mean,
            std,
            seed,
            aug,
        )

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, k: int) -> dict[str, np.ndarray]:
        epoch, pos = divmod(k, len(self.pairs))
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.pairs))
        pair = self.pairs[order[pos]]
        rng = np.random.default_rng([self.seed, k, 1])
        labels = pair.mask if pair.person is None else np.dstack([pair.mask, pair.person])
        image, labels = random_warp(pair.image, labels, self.size, rng, self.aug)
        image = colour_jitter(image, rng, self.aug)
        mask, person = (labels, None) if labels.ndim == 2 else (labels[..., 0], labels[..., 1])
        return training_sample(image, mask, person, self.mean, self.std)


class EvalPairs:
    """Un-augmented samples resized to the model's square input (for validation during training)."""

    def __init__(self, pairs: list[Pair], size: int, mean, std):
        self.pairs, self.size, self.mean, self.std = pairs, size, mean, std

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        pair = self.pairs[i]
        side = (self.size, self.size)
        image = cv2.resize(pair.image, side, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(pair.mask, side, interpolation=cv2.INTER_NEAREST)
        person = None
        if pair.person is not None:
            person = cv2.resize(pair.person, side, interpolation=cv2.INTER_NEAREST)
        return training_sample(image, mask, person, self.mean, self.std)
