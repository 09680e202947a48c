"""A U-Net made for CPU inference: inverted-residual encoder, light decoder, edge head.

Where the FLOPs of a classic U-Net go (full 3x3 convolutions at full resolution) this net
spends almost nothing:

- encoder: MobileNetV2-style inverted residual blocks (1x1 expand, depthwise 3x3, 1x1
  project), downsampling from the first layer;
- context: the deepest features plus a global-pooled summary of the whole image, so the net
  knows what the main object is before the decoder draws its outline;
- decoder: at each level, upsample, add the 1x1-projected skip, one depthwise-separable block;
- edge head: the coarse logits upsampled to full size, refined by a tiny conv stack that also
  sees the RGB image, so edges follow the image and not the 2x-upsampled features;
- deep supervision: in training the 1/8 and 1/16 decoder outputs predict the mask too
  (``forward`` then returns ``(logits, [aux logits])``); in eval and export only the logits.
"""

from __future__ import annotations

import torch
from torch import nn

from skucut.models._decoder import edge_refined_output, top_down
from skucut.models._registry import register_model


def _conv_bn(cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, act=True):
    layers = [
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        self.block = nn.Sequential(
            _conv_bn(cin, hidden),
            _conv_bn(hidden, hidden, 3, stride, groups=hidden),
            _conv_bn(hidden, cout, act=False),
        )

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


def _separable(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(_conv_bn(cin, cin, 3, groups=cin), _conv_bn(cin, cout))


# (output width, blocks, stride of the first block) per encoder stage; strides 2..32.
STAGES = ((16, 1, 1), (24, 2, 2), (40, 2, 2), (80, 3, 2), (128, 2, 2))


class MobileUNet(nn.Module):
    """Logits (one channel, input resolution) from RGB; ``width`` scales every channel count."""

    def __init__(self, width: float = 1.0, expand: int = 4, decoder: int = 32):
        super().__init__()
        widths = [max(8, round(w * width / 8) * 8) for w, _, _ in STAGES]
        self.stride = 32
        self.stem = _conv_bn(3, widths[0], 3, stride=2)
        self.stages = nn.ModuleList()
        cin = widths[0]
        for w, (_, blocks, stride) in zip(widths, STAGES, strict=True):
            layers = [
                InvertedResidual(cin if i == 0 else w, w, stride if i == 0 else 1, expand)
                for i in range(blocks)
            ]
            self.stages.append(nn.Sequential(*layers))
            cin = w
        self.context = _conv_bn(cin, decoder)
        self.global_context = _conv_bn(cin, decoder)
        self.skips = nn.ModuleList(_conv_bn(w, decoder) for w in widths[:-1])
        self.fuse = nn.ModuleList(_separable(decoder, decoder) for _ in widths[:-1])
        self.coarse_head = nn.Conv2d(decoder, 1, 1)
        self.aux_heads = nn.ModuleList(nn.Conv2d(decoder, 1, 1) for _ in range(2))
        self.edge_head = nn.Sequential(
            _conv_bn(4, 8, 3), _conv_bn(8, 8, 3), nn.Conv2d(8, 1, 3, padding=1)
        )

    def forward(self, image: torch.Tensor):
        if image.shape[-1] % self.stride or image.shape[-2] % self.stride:
            raise ValueError(
                f"input H and W must be multiples of {self.stride}, got {tuple(image.shape)}"
            )
        x = self.stem(image)
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        x = self.context(x) + self.global_context(x.mean(dim=(2, 3), keepdim=True))
        # decoder outputs at strides 16, 8, 4, 2
        decoded = top_down(x, reversed(features[:-1]), reversed(self.skips), reversed(self.fuse))
        return edge_refined_output(self, image, decoded)


@register_model("mobile-unet")
def mobile_unet(width: float = 1.0, expand: int = 4, decoder: int = 32) -> MobileUNet:
    return MobileUNet(width=width, expand=expand, decoder=decoder)
