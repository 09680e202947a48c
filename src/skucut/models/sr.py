"""A small super-resolution network (ESPCN/FSRCNN class) that learns a correction to bicubic.

It works on luma only, as ESPCN and FSRCNN do: colour is upscaled bicubically by the caller,
which costs almost nothing and is where the eye is least sensitive. A few 3x3 convolutions at
the low resolution, a sub-pixel (PixelShuffle) output, and the bicubic upscale added back, so
an untrained network already starts at bicubic quality. The exported graph holds only
``residual``: onnxruntime's cubic Resize costs more than the whole network (117 vs 68 ms per
output megapixel, measured), so the runtime adds OpenCV's bicubic, which equals torch's to
1e-7.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from skucut.models._registry import register_model


class SRNet(nn.Module):
    """Y (Bx1xHxW, [0, 1]) -> Y at ``scale`` x the size."""

    def __init__(self, scale: int = 2, channels: int = 24, blocks: int = 3):
        super().__init__()
        if scale not in (2, 3, 4):
            raise ValueError(f"scale must be 2, 3 or 4, got {scale}")
        self.scale = scale
        # ReLU, not PReLU: onnxruntime fuses Conv+ReLU (68 vs 124 ms per output MP measured).
        layers = [nn.Conv2d(1, channels, 5, padding=2), nn.ReLU(inplace=True)]
        for _ in range(blocks):
            layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
        layers += [nn.Conv2d(channels, scale * scale, 3, padding=1), nn.PixelShuffle(scale)]
        self.body = nn.Sequential(*layers)
        nn.init.zeros_(layers[-2].weight)  # start as exactly bicubic
        nn.init.zeros_(layers[-2].bias)

    def residual(self, y: torch.Tensor) -> torch.Tensor:
        """What the network adds to the bicubic upscale (the exported graph)."""
        return self.body(y)

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        base = F.interpolate(y, scale_factor=self.scale, mode="bicubic", align_corners=False)
        return base + self.residual(y)


@register_model("srnet")
def srnet(scale: int = 2, channels: int = 24, blocks: int = 3) -> SRNet:
    return SRNet(scale=scale, channels=channels, blocks=blocks)
