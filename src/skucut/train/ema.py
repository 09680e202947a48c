"""Exponential moving average of model weights.

With batches of 8 on a CPU, the raw weights jitter from step to step; their average over the
last ~1/(1-decay) steps validates better and is what gets exported.
"""

from __future__ import annotations

import copy

import torch


class EMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        self.updates += 1
        # Short warm-up so the average is not dominated by the initial weights.
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for avg, new in zip(
            self.model.state_dict().values(), model.state_dict().values(), strict=True
        ):
            if avg.dtype.is_floating_point:
                avg.lerp_(new, 1 - decay)
            else:
                avg.copy_(new)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = state["updates"]


def inference_weights(checkpoint: dict) -> dict:
    """The weights to export or start from: the EMA ones when the run kept them."""
    ema = checkpoint.get("ema")
    return ema["model"] if ema else checkpoint["model"]
