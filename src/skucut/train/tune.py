"""Hyper-parameter search with Optuna: short runs of a recipe, scored on its dev sets.

Each trial trains the config for ``budget_steps`` (its whole schedule squeezed into them) with
sampled learning rates, loss weights, composite share and augmentation strengths, and scores
the mean IoU over the config's ``val_dirs`` at the end. The study lives in a database
(SQLite by default), so a search stopped anywhere resumes: finished trials are kept, and a
trial that was cut off is retried with its parameters. Its run folder is named by those
parameters, so the retry continues the cut-off run from its last checkpoint.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
from pathlib import Path
from typing import Any

from skucut.data.augment import AugmentCfg
from skucut.train.config import TrainConfig, strict_config

# How far a trial may move from the recipe (factors of its value, or absolute ranges).
LR_FACTOR = (0.2, 5.0)
ENCODER_LR_SCALE = (0.03, 1.0)
LOSS_WEIGHT_FACTOR = (0.25, 4.0)
COMPOSITE_WEIGHT = (0.0, 0.8)
AUGMENT_FACTOR = (0.5, 2.0)
CORRUPT_SHARE = (0.0, 0.5)
GEOMETRIC = ("rotate_deg", "shift")
PHOTOMETRIC = ("brightness", "contrast", "saturation", "hue_deg")
# A running trial says it is alive this often; one silent for GRACE_S (its process died) is
# marked failed when the next trial starts...
HEARTBEAT_S, GRACE_S = 10, 30


def has_encoder(cfg: TrainConfig) -> bool:
    """Whether the architecture has a (pretrained) encoder with its own learning rate."""
    from skucut.models import create_model

    return hasattr(create_model(cfg.arch, **cfg.arch_kwargs), "encoder")


def suggest(trial, base: TrainConfig) -> dict[str, Any]:
    """The config fields this trial changes, sampled around ``base``."""
    changes: dict[str, Any] = {
        "lr": trial.suggest_float("lr", base.lr * LR_FACTOR[0], base.lr * LR_FACTOR[1], log=True)
    }
    if has_encoder(base):
        changes["encoder_lr_scale"] = trial.suggest_float(
            "encoder_lr_scale", *ENCODER_LR_SCALE, log=True
        )
    # The first loss keeps its weight (the learning rate already sets the overall scale).
    names = list(base.loss_weights)
    weights = {names[0]: base.loss_weights[names[0]]} if names else {}
    for name in names[1:]:
        factor = trial.suggest_float(f"loss_{name}", *LOSS_WEIGHT_FACTOR, log=True)
        weights[name] = base.loss_weights[name] * factor
    changes["loss_weights"] = weights
    if base.cutout_dirs or base.background_dirs:
        changes["composite_weight"] = trial.suggest_float("composite_weight", *COMPOSITE_WEIGHT)
    augment = dataclasses.asdict(strict_config(AugmentCfg, base.augment))
    geometric = trial.suggest_float("augment_geometric", *AUGMENT_FACTOR, log=True)
    photometric = trial.suggest_float("augment_photometric", *AUGMENT_FACTOR, log=True)
    changes["augment"] = {
        **base.augment,
        **{k: augment[k] * geometric for k in GEOMETRIC},
        **{k: augment[k] * photometric for k in PHOTOMETRIC},
    }
    changes["corrupt_share"] = trial.suggest_float("corrupt_share", *CORRUPT_SHARE)
    return changes


def run_name(changes: dict[str, Any], budget_steps: int) -> str:
    """A folder name that is a function of the sampled values and the budget (a retry finds
    its run; another budget is another schedule, so another run)."""
    key = json.dumps({"changes": changes, "budget_steps": budget_steps}, sort_keys=True)
    digest = hashlib.sha1(key.encode()).hexdigest()
    return f"trial-{digest[:10]}"


def trial_config(base: TrainConfig, changes: dict, budget_steps: int, out_dir: Path) -> TrainConfig:
    """``base`` with ``changes``, shortened to ``budget_steps`` and validated once, at the end."""
    return base.replace(
        **changes,
        steps=budget_steps,
        warmup_steps=min(base.warmup_steps, max(1, budget_steps // 10)),
        out_dir=str(out_dir / run_name(changes, budget_steps)),
        val_every=budget_steps,
        ckpt_every=max(1, min(base.ckpt_every, budget_steps // 4)),
    )


def open_study(storage: str, name: str, seed: int):
    """The study (created, or loaded to resume) with a sampler seeded past its trials, so a
    resumed search does not draw its first trials' parameters again."""
    import optuna

    with warnings.catch_warnings():  # heartbeats are marked experimental, and are what we need
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        rdb = optuna.storages.RDBStorage(
            storage,
            heartbeat_interval=HEARTBEAT_S,
            grace_period=GRACE_S,
            # ...and run again with its values (at most twice).
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(2),
        )
    study = optuna.create_study(
        storage=rdb, study_name=name, direction="maximize", load_if_exists=True
    )
    sampler = optuna.samplers.TPESampler(seed=seed + len(study.trials))
    return optuna.load_study(study_name=name, storage=rdb, sampler=sampler)


def finished(study) -> list:
    from optuna.trial import TrialState

    return [t for t in study.trials if t.state == TrialState.COMPLETE]


def tune(
    base: TrainConfig,
    trials: int,
    budget_steps: int,
    storage: str,
    study_name: str,
    out_dir: str | Path,
    seed: int = 0,
):
    """Run trials until the study has ``trials`` finished ones; returns the study."""
    import optuna
    import torch

    from skucut.train.loop import train

    if not base.val_dirs:
        raise ValueError("tuning scores trials on the config's val_dirs: it has none")
    if budget_steps < 1 or trials < 1:
        raise ValueError("trials and budget_steps must be at least 1")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out_dir = Path(out_dir)
    study = open_study(storage, study_name, seed)

    def objective(trial) -> float:
        changes = suggest(trial, base)
        cfg = trial_config(base, changes, budget_steps, out_dir)
        trial.set_user_attr("run", cfg.out_dir)
        best = train(cfg)  # resumes the folder when a cut-off trial is retried
        return float(torch.load(best, map_location="cpu", weights_only=False)["val"]["score"])

    remaining = trials - len(finished(study))
    if remaining > 0:
        study.optimize(objective, n_trials=remaining)
    return study


def best_config(base: TrainConfig, raw: dict[str, Any], trial) -> dict[str, Any]:
    """The recipe file's mapping with the best trial's values: its full schedule, its own
    data paths, and a run folder of its own."""
    return {**raw, **trial_changes(base, trial), "out_dir": f"{base.out_dir}-tuned"}


def trial_changes(base: TrainConfig, trial) -> dict[str, Any]:
    """The config changes of a finished trial (the sampled values, replayed)."""
    import optuna

    return suggest(optuna.trial.FixedTrial(trial.params), base)


def trials_table(study) -> str:
    """Finished trials, best first: score and sampled values."""
    done = sorted(finished(study), key=lambda t: t.value, reverse=True)
    if not done:
        return "no finished trials"
    names = sorted({k for t in done for k in t.params})
    head = f"{'trial':>5}{'score':>9}  " + "  ".join(f"{n:>{max(10, len(n))}}" for n in names)
    lines = [head]
    for t in done:
        values = "  ".join(
            f"{t.params[n]:>{max(10, len(n))}.4g}" if n in t.params else " " * max(10, len(n))
            for n in names
        )
        lines.append(f"{t.number:>5}{t.value:>9.4f}  {values}")
    return "\n".join(lines)
