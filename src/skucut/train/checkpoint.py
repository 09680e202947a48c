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


def save_weights(checkpoint: dict[str, Any], path: str | Path) -> None:
    """The trained weights alone (the EMA ones if the run kept them) as float16, with the run's
    config and step: small enough to ship beside a model, so a later run on another machine can
    start from it (``init_from``, ``skucut prune``) after the run folder is gone."""
    from skucut.train.ema import inference_weights

    weights = {
        name: value.half() if value.is_floating_point() else value
        for name, value in inference_weights(checkpoint).items()
    }
    kept = {key: checkpoint[key] for key in ("config", "model_cfg", "step") if key in checkpoint}
    save_checkpoint(path, model=weights, **kept)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=False)


def restore(
    path: str | Path, model, optimizer, scheduler, ema=None, modules=None
) -> tuple[int, float]:
    """Load a ``last.pt`` into the live objects; returns (step, best score) to go on from.

    ``modules``: more objects with a state dict, saved under their names (e.g. "gan")."""
    state = load_checkpoint(path)
    missing = sorted(set(modules or {}) - set(state))
    if missing:
        raise ValueError(
            f"{path} has no {', '.join(missing)} state: it was written by a run without that "
            "option (start a new run, or init_from it)"
        )
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["torch_rng"])
    if ema:
        ema.load_state_dict(state["ema"])
    for name, module in (modules or {}).items():
        module.load_state_dict(state[name])
    return state["step"], state["best_score"]


def load_trained_model(ckpt_path: str | Path):
    """(model in eval mode, its ModelCfg) from a checkpoint or a weights .pt: what export,
    distillation and the adversarial benchmark all start from."""
    from skucut.modelcfg import ModelCfg
    from skucut.models import create_model
    from skucut.train.ema import inference_weights

    state = load_checkpoint(ckpt_path)
    cfg = ModelCfg.from_json(state["model_cfg"])
    model = create_model(cfg.arch, **cfg.arch_kwargs)
    model.load_state_dict(inference_weights(state))
    return model.eval(), cfg
