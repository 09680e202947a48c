"""The step loop both training tasks share: optimise, log, validate, keep the best, checkpoint.

A task supplies what differs: how one batch becomes a loss, how the model is validated, and
what else its checkpoints carry. Checkpoints hold model, optimizer, scheduler, EMA, step and RNG
state, so a run stopped anywhere resumes exactly (``restore``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from skucut.train.checkpoint import restore, save_checkpoint
from skucut.train.ema import EMA


def cosine_schedule(cfg):
    """Linear warm-up, then cosine to 1% of the peak; ``cfg`` has steps and warmup_steps."""

    def factor(step: int) -> float:
        if step < cfg.warmup_steps:
            return (step + 1) / cfg.warmup_steps
        progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
        return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor


class StepLoop:
    """Steps of one run. ``cfg`` is the task's training config: ``warmup_steps`` and ``steps``
    make the schedule, ``ema_decay`` the EMA, ``batch_size`` and the ``*_every`` fields the
    rhythm; it is saved in every checkpoint."""

    def __init__(self, cfg, model, optimizer, out: Path, extra_state: dict[str, Any], modules=None):
        self.cfg = cfg
        self.model = model
        self.optimizer = optimizer
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_schedule(cfg))
        self.ema = EMA(model, cfg.ema_decay) if cfg.ema_decay else None
        self.out = out
        self.extra_state = extra_state  # e.g. the exported model's cfg
        # Objects that also learn (a GAN's discriminator with its optimiser): their
        # state_dict() goes into every checkpoint under their name, and resume restores it.
        self.modules = dict(modules or {})
        self.step = 0
        self.best_score = float("-inf")

    @property
    def last_path(self) -> Path:
        return self.out / "last.pt"

    @property
    def best_path(self) -> Path:
        return self.out / "best.pt"

    def resume(self) -> None:
        """Continue from ``last.pt`` when there is one."""
        if self.last_path.exists():
            self.step, self.best_score = restore(
                self.last_path, self.model, self.optimizer, self.scheduler, self.ema, self.modules
            )

    def state(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "step": self.step,
            "best_score": self.best_score,
            "config": dataclasses.asdict(self.cfg),
            "ema": self.ema.state_dict() if self.ema else None,
            **{name: module.state_dict() for name, module in self.modules.items()},
            **self.extra_state,
        }

    def run(
        self,
        batches: Iterable,
        loss_fn: Callable[[Any], tuple[torch.Tensor, dict[str, torch.Tensor]]],
        validate: Callable[[torch.nn.Module], dict[str, float]] | None,
        *,
        end: int,
        score: str = "score",
        grad_clip: float = 0.0,
        desc: str = "train",
    ) -> Path:
        """Train on ``batches`` up to step ``end`` (of the config's schedule); returns the best
        checkpoint. ``loss_fn`` gives the loss and the (detached) values to log. ``validate``
        gets the weights to judge (EMA if on) and returns metrics including ``score``, higher
        is better."""
        cfg = self.cfg
        log = (self.out / "log.jsonl").open("a")
        bar = tqdm(total=cfg.steps, initial=self.step, desc=desc, dynamic_ncols=True)
        self.model.train()
        started, seen = time.perf_counter(), 0
        for batch in batches:
            loss, values = loss_fn(batch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), grad_clip)
            self.optimizer.step()
            self.scheduler.step()
            if self.ema:
                self.ema.update(self.model)
            self.step += 1
            seen += cfg.batch_size
            bar.update(1)
            if self.step % cfg.log_every == 0 or self.step == cfg.steps:
                values = {k: round(float(v), 4) for k, v in values.items()}
                rate = seen / (time.perf_counter() - started)
                bar.set_postfix(**values, img_s=f"{rate:.1f}")
                lr = max(self.scheduler.get_last_lr())  # the decoder's when groups differ
                row = {"step": self.step, "lr": lr, "img_s": rate, **values}
                log.write(json.dumps(row) + "\n")
                log.flush()
            if validate and (self.step % cfg.val_every == 0 or self.step == cfg.steps):
                metrics = validate(self.ema.model if self.ema else self.model)
                self.model.train()
                log.write(json.dumps({"step": self.step, "val": metrics}) + "\n")
                log.flush()
                bar.write(
                    f"step {self.step}: " + " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
                )
                if metrics[score] > self.best_score:
                    self.best_score = metrics[score]
                    save_checkpoint(self.best_path, **self.state(), val=metrics)
            if self.step % cfg.ckpt_every == 0 or self.step == end:
                save_checkpoint(self.last_path, **self.state())
        bar.close()
        log.close()
        if not self.best_path.exists():  # nothing to validate on: the last weights are the result
            save_checkpoint(self.best_path, **self.state())
        return self.best_path
