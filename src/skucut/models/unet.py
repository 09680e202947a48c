"""The classic U-Net (Ronneberger et al. 2015) with configurable width and depth.

Same shape as the original: two 3x3 conv blocks per level, max-pool down, up-sampling plus
skip concatenation up. Two practical changes: padding keeps sizes (so the mask aligns with the
image) and BatchNorm makes training from scratch stable at small batch sizes.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from skucut.models._registry import register_model


def _double_conv(cin: int, mid: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, mid, 3, padding=1, bias=False),
        nn.BatchNorm2d(mid),
        nn.ReLU(inplace=True),
        nn.Conv2d(mid, cout, 3, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """U-Net returning one channel of logits at the input resolution.

    ``base`` is the width of the first level; each of the ``depth`` downsamplings doubles it
    (capped at ``max_width``). The input size must be a multiple of ``2**depth``.

    ``channels`` overrides the widths block by block: one ``[mid, out]`` pair per double conv,
    the ``depth + 1`` down blocks first, then the ``depth`` up blocks. Channel pruning
    (``skucut.train.prune``) writes it; by default it follows from ``base``.
    """

    def __init__(
        self,
        base: int = 16,
        depth: int = 4,
        max_width: int = 256,
        in_ch: int = 3,
        channels: list[list[int]] | None = None,
    ):
        super().__init__()
        widths = [min(base * 2**i, max_width) for i in range(depth + 1)]
        channels = channels or [[w, w] for w in widths + widths[-2::-1]]
        if len(channels) != 2 * depth + 1:
            raise ValueError(
                f"channels needs {2 * depth + 1} [mid, out] pairs, got {len(channels)}"
            )
        self.channels = channels
        self.stride = 2**depth
        self.down = nn.ModuleList()
        cin = in_ch
        for mid, out in channels[: depth + 1]:
            self.down.append(_double_conv(cin, mid, out))
            cin = out
        self.up = nn.ModuleList()
        skips = [out for _, out in channels[:depth]]
        for mid, out in channels[depth + 1 :]:
            self.up.append(_double_conv(cin + skips.pop(), mid, out))
            cin = out
        self.head = nn.Conv2d(cin, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % self.stride or x.shape[-2] % self.stride:
            raise ValueError(
                f"input H and W must be multiples of {self.stride}, got {tuple(x.shape)}"
            )
        skips = []
        for i, block in enumerate(self.down):
            if i:
                x = F.max_pool2d(x, 2)
            x = block(x)
            skips.append(x)
        skips.pop()
        for block in self.up:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skips.pop()], dim=1))
        return self.head(x)


@register_model("unet")
def unet(
    base: int = 16, depth: int = 4, max_width: int = 256, channels: list[list[int]] | None = None
) -> UNet:
    return UNet(base=base, depth=depth, max_width=max_width, channels=channels)
