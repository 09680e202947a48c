"""Structured channel pruning of a trained U-Net (network slimming, Liu et al. 2017).

Each double conv has two BatchNorms; a channel whose BN scale |gamma| is small contributes
little, so the same fraction of channels is kept in every layer, the largest |gamma| first,
and the weights of the kept channels are copied into a narrower U-Net. Keeping every layer at
the same fraction (rather than one global threshold) never empties a layer. Channel counts are
rounded to multiples of 8, the vector width onnxruntime's convolutions block by on AVX2.
Fine-tuning afterwards (``prune_flops`` in a training config) recovers most of the accuracy.
"""

from __future__ import annotations

import torch
from torch import nn

from skucut.modelcfg import ModelCfg
from skucut.models import create_model
from skucut.models.cost import gflops, param_count
from skucut.models.unet import UNet
from skucut.train.ema import inference_weights

MULTIPLE = 8


def _rounded(width: int, keep: float) -> int:
    return max(MULTIPLE, min(width, round(width * keep / MULTIPLE) * MULTIPLE))


def _strongest(bn: nn.BatchNorm2d, n: int) -> torch.Tensor:
    """Indices of the ``n`` channels with the largest |gamma|, in their original order."""
    return torch.argsort(bn.weight.detach().abs(), descending=True)[:n].sort().values


def _copy_block(src: nn.Sequential, dst: nn.Sequential, cin_idx, mid_idx, out_idx) -> None:
    """``dst`` (a narrower double conv) gets ``src``'s weights for the kept channels."""
    dst[0].weight.copy_(src[0].weight[mid_idx][:, cin_idx])
    dst[3].weight.copy_(src[3].weight[out_idx][:, mid_idx])
    for bn_src, bn_dst, idx in ((src[1], dst[1], mid_idx), (src[4], dst[4], out_idx)):
        for name in ("weight", "bias", "running_mean", "running_var"):
            getattr(bn_dst, name).copy_(getattr(bn_src, name)[idx])
        bn_dst.num_batches_tracked.copy_(bn_src.num_batches_tracked)


def blocks(model: UNet) -> list[nn.Sequential]:
    return [*model.down, *model.up]


@torch.no_grad()
def prune_unet(model: UNet, keep: float) -> UNet:
    """A narrower copy of ``model`` keeping about ``keep`` of every layer's channels."""
    if not isinstance(model, UNet):
        raise ValueError(
            f"channel pruning supports the unet architecture, not {type(model).__name__}"
        )
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    channels = [
        [_rounded(block[1].num_features, keep), _rounded(block[4].num_features, keep)]
        for block in blocks(model)
    ]
    depth, in_ch = len(model.down) - 1, model.down[0][0].in_channels
    pruned = UNet(depth=depth, channels=channels, in_ch=in_ch)
    kept_out = []  # kept output channels of each block so far
    cin_idx = torch.arange(in_ch)
    for i, (src, dst, (mid, out)) in enumerate(
        zip(blocks(model), blocks(pruned), channels, strict=True)
    ):
        if i > depth:  # an up block sees [upsampled previous output, skip of its level]
            skip = kept_out[2 * depth - i]
            cin_idx = torch.cat([kept_out[-1], skip + blocks(model)[i - 1][4].num_features])
        elif i:
            cin_idx = kept_out[-1]
        mid_idx, out_idx = _strongest(src[1], mid), _strongest(src[4], out)
        _copy_block(src, dst, cin_idx, mid_idx, out_idx)
        kept_out.append(out_idx)
    pruned.head.weight.copy_(model.head.weight[:, kept_out[-1]])
    pruned.head.bias.copy_(model.head.bias)
    return pruned.train(model.training)


def prune_to_flops(model: UNet, ratio: float, side: int = 192) -> UNet:
    """The widest uniform pruning of ``model`` whose FLOPs are at most ``ratio`` of its own."""
    if not 0 < ratio < 1:
        raise ValueError(f"the FLOPs ratio must be in (0, 1), got {ratio}")
    full = gflops(model, side)
    lo, hi, best = 0.0, 1.0, None  # keep fractions: lo fits, hi does not
    for _ in range(12):
        keep = (lo + hi) / 2
        candidate = prune_unet(model, keep)
        if gflops(candidate, side) <= ratio * full:
            lo, best = keep, candidate
        else:
            hi = keep
    if best is None:
        raise ValueError(f"cannot prune to {ratio:.0%} of the FLOPs: every layer is at its floor")
    return best


def prune_checkpoint(state: dict, ratio: float, side: int) -> tuple[UNet, UNet]:
    """(trained, pruned) for a training checkpoint, whatever its shape (a pruned one too)."""
    trained = ModelCfg.from_json(state["model_cfg"])
    if trained.arch != "unet":
        raise ValueError(f"channel pruning supports the unet architecture, not {trained.arch}")
    full = create_model(trained.arch, **trained.arch_kwargs)
    full.load_state_dict(inference_weights(state))
    return full, prune_to_flops(full, ratio, side)


def pruning_report(full: UNet, pruned: UNet, side: int) -> str:
    lines = [
        f"{label:8s} {param_count(model):>10,} params, "
        f"{gflops(model, side):7.3f} GFLOPs at {side} px"
        for label, model in (("trained", full), ("pruned", pruned))
    ]
    return "\n".join([*lines, f"channels [mid, out] per block: {pruned.channels}"])
