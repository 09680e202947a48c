"""Layers the pretrained encoders share: TensorFlow-'SAME' convolutions and BN + ReLU6."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class SameConv2d(nn.Conv2d):
    """A convolution padded like TensorFlow's 'SAME' (the encoders were trained that way).

    At stride 2 and an even input side, 'SAME' pads one pixel less on the top/left than on the
    bottom/right; symmetric padding would shift every feature by half a pixel. The padding
    follows the input's size, so odd sides (e.g. 321 px) are exact too. An ONNX export uses
    the padding of sides divisible by the stride, which every layer sees for any multiple-of-32
    image, as constants: pads computed from traced sizes defeat shape inference and
    onnxruntime's fusions.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, **kwargs):
        super().__init__(cin, cout, kernel, stride, padding=0, **kwargs)
        self.divisible_pads = self._pads(stride, stride)

    def _pads(self, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, right, top, bottom) padding for an input of this size."""
        k = (self.kernel_size[0] - 1) * self.dilation[0] + 1
        s = self.stride[0]
        pads = []
        for size in (width, height):
            total = max(k - s, 0) if size % s == 0 else max(k - size % s, 0)
            pads += [total // 2, total - total // 2]
        return tuple(pads)

    def forward(self, x):
        exporting = torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()
        left, right, top, bottom = (
            self.divisible_pads if exporting else self._pads(x.shape[-1], x.shape[-2])
        )
        if left == right and top == bottom:  # symmetric: the convolution's own padding
            return F.conv2d(
                x, self.weight, self.bias, self.stride, (top, left), self.dilation, self.groups
            )
        return super().forward(F.pad(x, (left, right, top, bottom)))
