"""MobileNetV2 with the DeepLabV3 head it was segmentation-trained with (ImageNet -> COCO ->
PASCAL VOC; ``../shared/pretrained/deeplabv3_mnv2_coco_voc_encoder_head_fp16.pth``).

Module names follow torchvision's ``mobilenet_v2().features[:18]`` (keys ``0.0.weight``,
``1.conv.0.0.weight`` ...) and the head's (``aspp0``, ``pool``, ``project``, ``logits``), so the
file's state dicts load strictly with no renaming.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from skucut.models.encoders._layers import SameConv2d

# (expand ratio, output channels, repeats, stride) of MobileNetV2's 17 inverted residuals.
SETTINGS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1))
SETTINGS += ((6, 160, 3, 2), (6, 320, 1, 1))
TAPS = (1, 3, 6, 13, 17)  # features[i] outputs at strides 2, 4, 8, 16, 32
VOC_CLASSES = [
    "background",
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
]


def _conv_bn_relu(cin, cout, kernel, stride=1, groups=1, dilation=1):
    return nn.Sequential(
        SameConv2d(cin, cout, kernel, stride, groups=groups, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int, dilation: int = 1):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [_conv_bn_relu(cin, hidden, 1)]
        layers += [
            _conv_bn_relu(hidden, hidden, 3, stride, groups=hidden, dilation=dilation),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2Features(nn.Sequential):
    """``features[:18]``; ``output_stride=16`` reproduces the DeepLab model (the last stride-2
    block runs at stride 1 and the blocks after it dilate), 32 is plain MobileNetV2."""

    def __init__(self, output_stride: int = 32):
        if output_stride not in (16, 32):
            raise ValueError(f"output_stride must be 16 or 32, got {output_stride}")
        layers, cin = [_conv_bn_relu(3, 32, 3, 2)], 32
        for expand, cout, repeats, stride in SETTINGS:
            for j in range(repeats):
                s, dilation = (stride if j == 0 else 1), 1
                if output_stride == 16 and len(layers) >= 14:
                    s, dilation = 1, (1 if len(layers) == 14 else 2)
                layers.append(InvertedResidual(cin, cout, s, expand, dilation))
                cin = cout
        super().__init__(*layers)
        self.channels = [16, 24, 32, 96, 320]

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for i, layer in enumerate(self):
            x = layer(x)
            if i in TAPS:
                out.append(x)
        return out


class DeepLabHead(nn.Module):
    """The pretrained ASPP-lite head: a 1x1 branch and an image-pooling branch, projected."""

    def __init__(self, cin: int = 320, width: int = 256, num_classes: int = 21):
        super().__init__()
        self.aspp0 = nn.Conv2d(cin, width, 1)
        self.pool = nn.Conv2d(cin, width, 1)
        self.project = nn.Conv2d(2 * width, width, 1)
        self.logits = nn.Conv2d(width, num_classes, 1) if num_classes else None
        self.width = width

    def context(self, x: torch.Tensor) -> torch.Tensor:
        """The projected ``width``-channel features the class logits are read from."""
        local = F.relu(self.aspp0(x))
        pooled = F.relu(self.pool(x.mean(dim=(2, 3), keepdim=True))).expand_as(local)
        return F.relu(self.project(torch.cat([pooled, local], dim=1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(self.context(x))
