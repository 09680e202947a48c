"""The segmentation task: one forward pass and the weighted loss mix.

It returns {"loss": total, <part>: value, ...} so the loop never knows the mix. Models with deep
supervision return ``(logits, [aux logits at lower resolutions])`` in training; each auxiliary
output is upsampled and scored with the same mix, together weighing ``AUX_WEIGHT``. Models with a
person output return it as a second logits channel, learnt with BCE + dice where the batch's
``person_valid`` says the person is known (weighed by ``person_weight``).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from skucut.losses import LOSSES, bce_loss, dice_loss

AUX_WEIGHT = 0.4


def _mix(logits, batch, weights: dict[str, float]) -> dict[str, torch.Tensor]:
    return {name: LOSSES[name](logits, batch["target"], batch["valid"]) for name in weights}


def person_loss(person_logits, batch) -> torch.Tensor:
    return bce_loss(person_logits, batch["person"], batch["person_valid"]) + dice_loss(
        person_logits, batch["person"], batch["person_valid"]
    )


def segmentation_step(
    model,
    batch: dict[str, torch.Tensor],
    weights: dict[str, float],
    distill_weight: float = 0.0,
    person_weight: float = 1.0,
):
    """``batch["teacher"]`` (optional): a teacher's probabilities, learnt on every pixel.
    Returns the loss parts and the subject logits."""
    out = model(batch["image"])
    logits, aux = out if isinstance(out, tuple) else (out, [])
    logits, person_logits = logits[:, :1], logits[:, 1:]
    parts = _mix(logits, batch, weights)
    total = sum(weights[name] * value for name, value in parts.items())
    if person_logits.shape[1]:
        parts["person"] = person_loss(person_logits, batch)
        total = total + person_weight * parts["person"]
    if "teacher" in batch:
        parts["distill"] = F.binary_cross_entropy_with_logits(logits.float(), batch["teacher"])
        total = total + distill_weight * parts["distill"]
    for low_res in aux:
        up = F.interpolate(low_res, size=logits.shape[-2:], mode="bilinear", align_corners=False)
        aux_parts = _mix(up, batch, weights)
        total = total + AUX_WEIGHT / len(aux) * sum(
            weights[name] * value for name, value in aux_parts.items()
        )
    return {"loss": total, **{k: v.detach() for k, v in parts.items()}}, logits
