"""The segmentation task: one forward pass and the weighted loss mix.

It returns {"loss": total, <part>: value, ...} so the loop never knows the mix.
"""

from __future__ import annotations

import torch

from skucut.losses import LOSSES


def segmentation_step(model, batch: dict[str, torch.Tensor], weights: dict[str, float]):
    logits = model(batch["image"])
    parts = {name: LOSSES[name](logits, batch["target"], batch["valid"]) for name in weights}
    total = sum(weights[name] * value for name, value in parts.items())
    return {"loss": total, **{k: v.detach() for k, v in parts.items()}}, logits
