"""The step loop both training tasks share: optimise, log, validate, keep the best, checkpoint.

A task supplies what differs: how one batch becomes a loss, how the model is validated, and
what else its checkpoints carry. Checkpoints hold model, optimizer, scheduler, EMA, step and RNG
state, so a run stopped anywhere resumes exactly (``restore``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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


@dataclass
class StepLoop:
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    ema: EMA | None
    out: Path
    config: dict[str, Any]  # saved in every checkpoint
    extra_state: dict[str, Any] = field(default_factory=dict)  # e.g. the exported model cfg
    step: int = 0
    best_score: float = float("-inf")

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
                self.last_path, self.model, self.optimizer, self.scheduler, self.ema
            )

    def state(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "step": self.step,
            "best_score": self.best_score,
            "config": self.config,
            "ema": self.ema.state_dict() if self.ema else None,
            **self.extra_state,
        }

    def run(
        self,
        batches: Iterable,
        loss_fn: Callable[[Any], tuple[torch.Tensor, dict[str, torch.Tensor]]],
        validate: Callable[[torch.nn.Module], dict[str, float]] | None,
        *,
        steps: int,
        end: int,
        batch_size: int,
        log_every: int,
        val_every: int,
        ckpt_every: int,
        score: str = "score",
        grad_clip: float = 0.0,
        desc: str = "train",
    ) -> Path:
        """Train on ``batches`` up to step ``end`` (of a ``steps``-long schedule); returns the
        best checkpoint. ``loss_fn`` gives the loss and the (detached) values to log. ``validate`` gets the weights to judge (EMA if on) and returns metrics
        including ``score``, higher is better."""
        log = (self.out / "log.jsonl").open("a")
        bar = tqdm(total=steps, initial=self.step, desc=desc, dynamic_ncols=True)
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
            seen += batch_size
            bar.update(1)
            if self.step % log_every == 0 or self.step == steps:
                values = {k: round(float(v), 4) for k, v in values.items()}
                rate = seen / (time.perf_counter() - started)
                bar.set_postfix(**values, img_s=f"{rate:.1f}")
                lr = self.scheduler.get_last_lr()[0]
                row = {"step": self.step, "lr": lr, "img_s": rate, **values}
                log.write(json.dumps(row) + "\n")
                log.flush()
            if validate and (self.step % val_every == 0 or self.step == steps):
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
            if self.step % ckpt_every == 0 or self.step == end:
                save_checkpoint(self.last_path, **self.state())
        bar.close()
        log.close()
        if not self.best_path.exists():  # nothing to validate on: the last weights are the result
            save_checkpoint(self.best_path, **self.state())
        return self.best_path
