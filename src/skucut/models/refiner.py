"""A small full-resolution edge refiner: photo + coarse alpha in, alpha out.

It runs on tiles of the uncertain band only, so it must be cheap per pixel. At this size
onnxruntime's cost is memory traffic more than arithmetic, so the full-resolution part is as
short as it can be: the photo and the coarse alpha (4 channels) meet 8 upsampled channels of
context in one 3x3 convolution, the head (measured: a 3x3 layer of 8 channels more at full
resolution cost ~40% more time in onnxruntime). The context (a coarse map that is off by up
to ~20 pixels: 320-448 px predictions upsampled to 1000-2000 px) comes from three stride-2
levels, whose receptive field is about 90 px. The output is a residual on the coarse alpha's
logit, so an untrained refiner returns (nearly) its input and training only has to learn the
corrections.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation),
        nn.ReLU(inplace=True),
    )


class EdgeRefiner(nn.Module):
    """N x 4 x H x W (RGB in [-1, 1], coarse alpha in [0, 1]) -> N x 1 x H x W alpha in [0, 1].

    H and W must be multiples of 8."""

    def __init__(self, width: int = 8, mid: int = 16, deep: int = 24, bottom: int = 32):
        super().__init__()
        self.enc1 = nn.Sequential(_conv(4, mid, 2), _conv(mid, mid))
        self.enc2 = nn.Sequential(_conv(mid, deep, 2), _conv(deep, deep))
        self.enc3 = nn.Sequential(_conv(deep, bottom, 2), _conv(bottom, bottom, dilation=2))
        self.dec2 = _conv(bottom + deep, deep)
        self.dec1 = _conv(deep + mid, width)
        self.head = nn.Conv2d(width + 4, 1, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != 4:
            raise ValueError(f"expected Nx4xHxW (RGB + coarse alpha), got {tuple(x.shape)}")
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d2 = self.dec2(torch.cat([F.interpolate(e3, scale_factor=2.0, mode="bilinear"), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, scale_factor=2.0, mode="bilinear"), e1], 1))
        d0 = torch.cat([F.interpolate(d1, scale_factor=2.0, mode="bilinear"), x], 1)
        prior = torch.logit(x[:, 3:4].clamp(0.01, 0.99))
        return torch.sigmoid(prior + self.head(d0))
