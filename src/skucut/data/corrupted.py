"""The robustness benchmark's corruptions as a training augmentation.

Wraps any training sample stream (real pairs, composites or their mix): sample ``k`` gets, with
probability ``share``, one corruption of a random kind and severity. The choice is a pure
function of (seed, k), like the samples themselves, so a resumed run sees the same data.
"""

from __future__ import annotations

import numpy as np

from skucut.data.pairs import IGNORE, mask_targets, normalize
from skucut.metrics.corrupt import CORRUPTIONS, SEVERITIES, corrupt


def denormalize(x: np.ndarray, mean, std) -> np.ndarray:
    """float32 3xHxW normalised -> RGB uint8 HxWx3 (the inverse of ``normalize``)."""
    rgb = x.transpose(1, 2, 0) * np.asarray(std, np.float32) + np.asarray(mean, np.float32)
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)


class CorruptedSamples:
    def __init__(self, samples, share: float, names: list[str], mean, std, seed: int):
        unknown = sorted(set(names) - set(CORRUPTIONS))
        if unknown:
            raise ValueError(
                f"unknown corruptions: {', '.join(unknown)}; valid: {', '.join(CORRUPTIONS)}"
            )
        if not 0.0 < share <= 1.0:
            raise ValueError(f"corrupt_share must be in (0, 1], got {share}")
        self.samples, self.share = samples, share
        self.names = list(names) or list(CORRUPTIONS)
        self.mean, self.std, self.seed = mean, std, seed

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, k: int) -> dict[str, np.ndarray]:
        sample = self.samples[k]
        rng = np.random.default_rng([self.seed, k, 6])  # a stream no other sampler draws from
        if rng.random() >= self.share:
            return sample
        name = self.names[rng.integers(len(self.names))]
        severity = SEVERITIES[rng.integers(len(SEVERITIES))]
        image = denormalize(sample["image"], self.mean, self.std)
        mask = np.where(sample["valid"][0] > 0, sample["target"][0] * 255, IGNORE).astype(np.uint8)
        image, mask = corrupt(name, image, mask, severity, int(rng.integers(2**31)))
        target, valid = mask_targets(mask)
        corrupted = {"image": normalize(image, self.mean, self.std), "target": target}
        return {**sample, **corrupted, "valid": valid}  # the person labels as they were


def with_corruptions(samples, cfg, mean, std):
    """``samples`` with the config's corruption augmentation (unchanged when it is off)."""
    if not cfg.corrupt_share:
        return samples
    return CorruptedSamples(samples, cfg.corrupt_share, cfg.corruptions, mean, std, cfg.seed)
