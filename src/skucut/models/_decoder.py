"""The decoder steps the U-Nets with an edge head share (mobile-unet, fast/quality-unet)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def top_down(x: torch.Tensor, features, skips, fuses) -> list[torch.Tensor]:
    """Decoder outputs, deepest level first: at each level upsample to the feature's size,
    add the projected skip feature, fuse."""
    decoded = []
    for feature, skip, fuse in zip(features, skips, fuses, strict=True):
        x = F.interpolate(x, size=feature.shape[-2:], mode="bilinear", align_corners=False)
        x = fuse(x + skip(feature))
        decoded.append(x)
    return decoded


def edge_refined_output(model: nn.Module, image: torch.Tensor, decoded: list[torch.Tensor]):
    """Logits at the image's resolution: the last decoder level's coarse logits, upsampled and
    corrected by the edge head that also sees the RGB image. In training, also the auxiliary
    logits of the two deepest decoder levels (deep supervision)."""
    coarse = F.interpolate(
        model.coarse_head(decoded[-1]), size=image.shape[-2:], mode="bilinear", align_corners=False
    )
    logits = coarse + model.edge_head(torch.cat([coarse, image], dim=1))
    if not model.training:
        return logits
    return logits, [head(out) for head, out in zip(model.aux_heads, decoded[:2], strict=True)]
