"""A conditional PatchGAN discriminator on (image, mask) pairs (pix2pix, Isola et al. 2017).

Each output logit judges one patch of the pair (a 70 px receptive field, as in
pix2pix), so it learns what a real mask's edge looks like against the photo, not only whether
the whole mask is plausible. Spectral norm on every convolution bounds its Lipschitz constant,
which keeps the adversarial game stable without BatchNorm (whose batch statistics would let
real and fake batches tell each other apart). Not a segmentation model: not registered.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def _conv(cin: int, cout: int, stride: int) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, 4, stride, 1))


class PatchDiscriminator(nn.Module):
    def __init__(self, image_channels: int = 3, width: int = 32, downsamples: int = 3):
        super().__init__()
        layers, cin, cout = [], image_channels + 1, width
        for _ in range(downsamples):
            layers += [_conv(cin, cout, 2), nn.LeakyReLU(0.2)]
            cin, cout = cout, cout * 2
        layers += [_conv(cin, cout, 1), nn.LeakyReLU(0.2), _conv(cout, 1, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Bx3xHxW normalised image and Bx1xHxW mask in [0, 1] -> Bx1xhxw patch logits."""
        if mask.ndim != 4 or mask.shape[1] != 1 or mask.shape[-2:] != image.shape[-2:]:
            raise ValueError(
                f"expected a Bx1xHxW mask the size of the image {tuple(image.shape)}, "
                f"got {tuple(mask.shape)}"
            )
        return self.net(torch.cat([image, mask.to(image.dtype)], dim=1))
