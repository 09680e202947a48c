"""Layers the pretrained encoders share: TensorFlow-'SAME' convolutions and BN + ReLU6."""

from __future__ import annotations

from torch import nn
from torch.nn import functional as F


class SameConv2d(nn.Conv2d):
    """A convolution padded like TensorFlow's 'SAME' (the encoders were trained that way).

    At stride 2 and an even input side, 'SAME' pads one pixel less on the top/left than a
    symmetric padding would; matching it keeps the pretrained features where they were learnt.
    The padding is computed from the input's size, so odd sides (e.g. 321 px) are exact too.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, **kwargs):
        super().__init__(cin, cout, kernel, stride, padding=0, **kwargs)

    def forward(self, x):
        pads = []
        for size in (x.shape[-1], x.shape[-2]):  # F.pad order: width first
            k = (self.kernel_size[0] - 1) * self.dilation[0] + 1
            s = self.stride[0]
            total = max(k - s, 0) if size % s == 0 else max(k - size % s, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads) if any(pads) else x)
