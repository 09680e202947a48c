"""U-Nets on pretrained encoders: the fast and the quality model families.

- encoder: a pretrained backbone (``skucut.models.encoders``) giving maps at strides 2..32;
- context: the DeepLab "ASPP-lite" head (a 1x1 branch and an image-pooling branch, projected),
  plus, for the quality family, depthwise dilated branches that see the object at several
  scales. Its layer names match the pretrained DeepLab head, so that head loads into it;
- decoder: top-down, at each stride upsample, add the 1x1-projected skip, then one or more
  depthwise-separable blocks (the width shrinks with resolution, where pixels are many);
- edge head at full resolution: the coarse logits refined by a small conv stack that also sees
  the RGB image, so edges follow the photo, not 2x-upsampled features;
- deep supervision: in training, the stride 16 and 8 decoder outputs predict the mask too
  (``forward`` returns ``(logits, [aux logits])``); in eval and export only the logits;
- person head (``person=True``): a second output channel, the person's skin, hair, face and
  hands, from the last decoder level (stride 2, upsampled: a person map needs no sharp edge of
  its own, product-only mode cuts along the subject's edge where the two meet).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from skucut.models._decoder import edge_refined_output, top_down
from skucut.models._registry import register_model
from skucut.models.encoders import create_encoder, encoder_spec, load_pretrained


def _conv_bn(cin: int, cout: int, kernel: int = 1, groups: int = 1, dilation: int = 1):
    return nn.Sequential(
        nn.Conv2d(
            cin,
            cout,
            kernel,
            padding=dilation * (kernel // 2),
            dilation=dilation,
            groups=groups,
            bias=False,
        ),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def _separable(cin: int, cout: int, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(_conv_bn(cin, cin, 3, groups=cin, dilation=dilation), _conv_bn(cin, cout))


class Context(nn.Module):
    """Image-level and multi-scale context on the deepest features."""

    def __init__(self, cin: int, width: int, rates: tuple[int, ...] = ()):
        super().__init__()
        self.aspp0 = nn.Conv2d(cin, width, 1)
        self.pool = nn.Conv2d(cin, width, 1)
        self.branches = nn.ModuleList(_separable(cin, width, rate) for rate in rates)
        self.project = nn.Conv2d((2 + len(rates)) * width, width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        local = F.relu(self.aspp0(x))
        pooled = F.relu(self.pool(x.mean(dim=(2, 3), keepdim=True))).expand_as(local)
        parts = [pooled, local, *(branch(x) for branch in self.branches)]
        return F.relu(self.project(torch.cat(parts, dim=1)))


class EncoderUNet(nn.Module):
    """Logits (one channel, input resolution) from RGB normalised per the encoder's ``mean``/``std``.

    ``decoder``: widths of the decoder outputs at strides 16, 8, 4, 2; ``blocks``: separable
    blocks per decoder level; ``edge``: width of the full-resolution edge head.
    """

    def __init__(
        self,
        encoder: str = "mobilenetv2-deeplab",
        context: int = 256,
        rates: tuple[int, ...] = (),
        decoder: tuple[int, int, int, int] = (96, 64, 32, 24),
        blocks: int = 1,
        edge: int = 8,
        person: bool = False,
    ):
        super().__init__()
        spec = encoder_spec(encoder)
        self.encoder_name = encoder
        self.mean, self.std = spec.mean, spec.std
        self.encoder = create_encoder(encoder)
        self.stride = 32
        channels = self.encoder.channels
        self.context = Context(channels[-1], context, tuple(rates))
        self.skips, self.fuse = nn.ModuleList(), nn.ModuleList()
        width = context
        for skip, out in zip(reversed(channels[:-1]), decoder, strict=True):
            self.skips.append(
                nn.Sequential(nn.Conv2d(skip, width, 1, bias=False), nn.BatchNorm2d(width))
            )
            layers = [_separable(width, out)] + [_separable(out, out) for _ in range(blocks - 1)]
            self.fuse.append(nn.Sequential(*layers))
            width = out
        self.coarse_head = nn.Conv2d(width, 1, 1)
        self.aux_heads = nn.ModuleList(nn.Conv2d(w, 1, 1) for w in decoder[:2])
        self.edge_head = nn.Sequential(
            _conv_bn(4, edge, 3), _conv_bn(edge, edge, 3), nn.Conv2d(edge, 1, 3, padding=1)
        )
        self.person_head = nn.Conv2d(width, 1, 1) if person else None
        self.outputs = ("subject", "person") if person else ("subject",)
        self.freeze_encoder_bn = False

    def load_pretrained(self, source: str = "package") -> None:
        """Encoder weights from ``source`` (a file, or "package"); a pretrained DeepLab head
        fills the context's matching layers (its 1x1 and pooling branches and projection)."""
        head = load_pretrained(self.encoder, self.encoder_name, source)
        own = self.context.state_dict()
        usable = {k: v for k, v in head.items() if k in own and own[k].shape == v.shape}
        self.context.load_state_dict(usable, strict=False)

    def train(self, mode: bool = True):
        """With ``freeze_encoder_bn``, the encoder's BatchNorm keeps its pretrained statistics:
        batches of 8 on a CPU are too small to re-estimate them."""
        super().train(mode)
        if mode and self.freeze_encoder_bn:
            for module in self.encoder.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.eval()
        return self

    def forward(self, image: torch.Tensor):
        if image.shape[-1] % self.stride or image.shape[-2] % self.stride:
            raise ValueError(
                f"input H and W must be multiples of {self.stride}, got {tuple(image.shape)}"
            )
        features = self.encoder.features(image)
        # decoder outputs at strides 16, 8, 4, 2
        decoded = top_down(
            self.context(features[-1]), reversed(features[:-1]), self.skips, self.fuse
        )
        out = edge_refined_output(self, image, decoded)
        if self.person_head is None:
            return out
        person = F.interpolate(
            self.person_head(decoded[-1]),
            size=image.shape[-2:],
            mode="bilinear",
            align_corners=False,
        )
        if self.training:
            logits, aux = out
            return torch.cat([logits, person], dim=1), aux
        return torch.cat([out, person], dim=1)


@register_model("fast-unet")
def fast_unet(
    encoder: str = "mobilenetv2-deeplab",
    context: int = 256,
    decoder: tuple[int, int, int, int] = (96, 64, 32, 24),
    edge: int = 8,
    person: bool = False,
) -> EncoderUNet:
    """The fast family: a light decoder, one separable block per level, image-level context."""
    return EncoderUNet(encoder, context, (), tuple(decoder), blocks=1, edge=edge, person=person)


@register_model("quality-unet")
def quality_unet(
    encoder: str = "efficientnet-lite2",
    context: int = 192,
    rates: tuple[int, ...] = (2, 4),
    decoder: tuple[int, int, int, int] = (128, 96, 48, 32),
    edge: int = 16,
    person: bool = False,
) -> EncoderUNet:
    """The quality family: multi-scale context (dilated branches) and two separable blocks
    per decoder level."""
    return EncoderUNet(
        encoder, context, tuple(rates), tuple(decoder), blocks=2, edge=edge, person=person
    )
