"""Checkpoints that resume exactly: model, optimizer, scheduler, step, RNG and config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch


def save_checkpoint(path: str | Path, **state: Any) -> None:
    """Write atomically, so an interrupted save never leaves a broken checkpoint behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=False)


def restore(path: str | Path, model, optimizer, scheduler, ema=None) -> tuple[int, float]:
    """Load a ``last.pt`` into the live objects; returns (step, best score) to go on from."""
    state = load_checkpoint(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if ema:
        ema.load_state_dict(state["ema"])
    return state["step"], state["best_score"]
