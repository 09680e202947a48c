"""What a network costs: parameters and FLOPs, counted by PyTorch on a real forward pass."""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode


def param_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def gflops(model: torch.nn.Module, side: int) -> float:
    """Multiply-accumulates x 2 for one ``side`` x ``side`` image, the usual count for convs."""
    was_training = model.training
    model.eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.zeros(1, 3, side, side))
    model.train(was_training)
    return counter.get_total_flops() / 1e9
