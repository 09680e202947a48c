"""Adversarial examples against the segmenter itself: FGSM (one step) or k-step PGD.

The budget ``eps`` is an L-infinity bound in pixel intensity on a 0..1 scale (4/255 = 0.0157),
i.e. on the photo before normalisation; the attack works on normalised tensors, so each
channel's bound there is ``eps / std``, and the result stays a possible photo (every pixel in
0..1). The attack raises the BCE against the labels on valid pixels.

Used in training (``Adversary``: a share of each batch replaced by its adversarial version) and
by ``skucut eval --corrupt --weights`` (``AttackPredictor``: the rows of the robustness table).
"""

from __future__ import annotations

import numpy as np
import torch

from skucut.losses import bce_loss


class PixelSpace:
    """Per-channel facts of the normalised input: the budget's scale and the photo's range."""

    def __init__(self, mean, std, device=None):
        mean = torch.tensor(mean, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        std = torch.tensor(std, dtype=torch.float32, device=device).view(1, 3, 1, 1)
        self.per_unit = 1.0 / std  # one unit of pixel intensity, normalised
        self.low, self.high = (0.0 - mean) / std, (1.0 - mean) / std


def _logits(model, image: torch.Tensor) -> torch.Tensor:
    out = model(image)
    return (out[0] if isinstance(out, tuple) else out).float()


def perturb(
    model,
    image: torch.Tensor,
    target: torch.Tensor,
    valid: torch.Tensor,
    eps: float,
    steps: int,
    space: PixelSpace,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Adversarial ``image`` (normalised Bx3xHxW) within ``eps`` (0..1 intensity) of it.

    ``steps`` 1 is FGSM (one signed-gradient step of eps); more is PGD from a random start
    with steps of 2.5 eps / steps (Madry et al.), projected back after each; ``generator``
    draws that start. Only the input gets gradients; the model's own are left untouched."""
    if steps < 1:
        raise ValueError(f"attack steps must be >= 1, got {steps}")
    bound = eps * space.per_unit
    image = image.detach().float()
    adv = image
    if steps > 1:
        noise = torch.rand(image.shape, generator=generator, device=image.device)
        adv = image + (noise * 2 - 1) * bound
    step = bound if steps == 1 else 2.5 * bound / steps
    for _ in range(steps):
        adv = adv.detach().requires_grad_(True)
        loss = bce_loss(_logits(model, adv), target, valid)
        (grad,) = torch.autograd.grad(loss, adv)
        adv = adv.detach() + step * grad.sign()
        adv = torch.minimum(torch.maximum(adv, image - bound), image + bound)
        adv = torch.minimum(torch.maximum(adv, space.low), space.high)
    return adv.detach()


class Adversary:
    """Replaces the first ``share`` of each training batch with adversarial versions of those
    samples. The attack runs with the model in eval mode, so it neither moves BatchNorm's
    running statistics nor meets deep supervision's extra outputs. PGD's random start is a
    pure function of (seed, step), like the data, so a resumed run draws the same."""

    def __init__(self, share: float, eps: float, steps: int, mean, std, device, seed: int = 0):
        if not 0.0 < share <= 1.0:
            raise ValueError(f"adv_share must be in (0, 1], got {share}")
        if eps <= 0:
            raise ValueError(f"adv_eps must be positive, got {eps}")
        self.share, self.eps, self.steps, self.seed = share, eps, steps, seed
        self.space = PixelSpace(mean, std, device)

    def __call__(self, model, batch: dict[str, torch.Tensor], autocast, step: int) -> torch.Tensor:
        """The batch's images with the adversarial ones in place."""
        image = batch["image"]
        n = round(self.share * image.shape[0])
        if n == 0:
            return image
        generator = torch.Generator(image.device).manual_seed(self.seed * 1_000_003 + step)
        was_training = model.training
        model.eval()
        with autocast():
            adv = perturb(
                model,
                image[:n],
                batch["target"][:n],
                batch["valid"][:n],
                self.eps,
                self.steps,
                self.space,
                generator,
            )
        model.train(was_training)
        mixed = torch.cat([adv.to(image.dtype), image[n:]])
        return mixed.contiguous(memory_format=torch.channels_last)


def create_adversary(cfg, mean, std, device) -> Adversary | None:
    """The training config's adversary, or None when ``adv_share`` is 0 (off)."""
    if not cfg.adv_share:
        return None
    return Adversary(cfg.adv_share, cfg.adv_eps, cfg.adv_steps, mean, std, device, cfg.seed)


class AttackPredictor:
    """``(rgb, gt, severity) -> alpha`` for the robustness table: the photo as the segmenter
    preprocesses it, attacked with the model's torch weights against the resized labels, and
    scored with the same weights (white box), upsampled like the segmenter's output.

    ``budgets`` are L-infinity bounds in 1/255 steps of pixel intensity, one per severity."""

    def __init__(self, weights: str, segmenter, budgets=(1, 2, 4), steps: int = 10):
        from skucut.train.checkpoint import load_trained_model

        self.model, cfg = load_trained_model(weights)
        seg = segmenter.cfg
        if (cfg.input_size, tuple(cfg.mean), tuple(cfg.std)) != (
            seg.input_size,
            tuple(seg.mean),
            tuple(seg.std),
        ):
            raise ValueError(
                f"{weights} is not the weights of {segmenter.path.name}: its input size or "
                "normalisation differs"
            )
        self.segmenter, self.budgets, self.steps = segmenter, tuple(budgets), steps
        self.space = PixelSpace(cfg.mean, cfg.std)

    def label(self, severity: int) -> str:
        name = "FGSM" if self.steps == 1 else f"PGD-{self.steps}"
        return f"{name} eps {self.budgets[severity - 1]:g}/255"

    def _labels(self, gt: np.ndarray, side: int) -> tuple[torch.Tensor, torch.Tensor]:
        import cv2

        small = cv2.resize(gt, (side, side), interpolation=cv2.INTER_NEAREST)
        valid = torch.from_numpy((small != 128).astype(np.float32))[None, None]
        target = torch.from_numpy((small > 128).astype(np.float32))[None, None]
        return target, valid

    def probability(self, x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return torch.sigmoid(_logits(self.model, x))[0, 0].numpy()

    def __call__(self, rgb: np.ndarray, gt: np.ndarray, severity: int) -> np.ndarray:
        x = torch.from_numpy(self.segmenter.preprocess(rgb))
        target, valid = self._labels(gt, x.shape[-1])
        eps = self.budgets[severity - 1] / 255
        adv = perturb(self.model, x, target, valid, eps, self.steps, self.space)
        return self.segmenter.postprocess(self.probability(adv), *rgb.shape[:2])

    def mean_difference(self, rgb: np.ndarray) -> float:
        """Mean gap between these weights' and the ONNX model's probabilities on ``rgb``:
        more than a few hundredths means the weights belong to another model."""
        x = torch.from_numpy(self.segmenter.preprocess(rgb))
        return float(np.abs(self.probability(x) - self.segmenter.probability(rgb)).mean())
