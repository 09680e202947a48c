"""Fine-tune a shipped model on a shop's own corrected pairs (e.g. the service's feedback
folder), without forgetting what it knew, and show whether the result is better.

1. The shop's pairs are split: every ``1/holdout``-th (by name) is kept out to judge by.
2. Training starts from the model's shipped weights with its own recipe, on the shop's pairs
   repeated to about half of the real samples plus the original training data (so the model
   does not forget), at a lower learning rate.
3. The fine-tuned model is exported, and both it and the original are evaluated on the
   held-out pairs and any dev sets given: the shop decides whether to switch.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from skucut.catalog import SHIPPED_DIR, resolve_model
from skucut.data.pairs import find_pairs
from skucut.train.checkpoint import load_checkpoint
from skucut.train.config import TrainConfig

SHOP_SHARE = 0.5  # share of the real samples that come from the shop's pairs


@dataclass(frozen=True)
class FinetunePlan:
    config: TrainConfig
    holdout: Path  # the shop's held-out pairs
    base_model: Path | None  # the shipped .onnx to compare against (None: export the weights)


def weights_of(model: str) -> Path:
    """A shipped model's ``weights.pt``, or a weights/checkpoint file given by path."""
    path = Path(model)
    if path.suffix == ".pt":
        if not path.is_file():
            raise FileNotFoundError(f"weights file not found: {path}")
        return path
    weights = resolve_model(model).parent / "weights.pt"
    if not weights.is_file():
        raise FileNotFoundError(
            f"{model} ships no weights.pt to fine-tune from; pick a model that does "
            f"(see {SHIPPED_DIR}/*/weights.pt) or give a checkpoint"
        )
    return weights


def split_pairs(folder: Path, out: Path, holdout_every: int) -> tuple[Path, Path]:
    """Link (or copy) the pairs into ``out/shop-train`` and ``out/shop-holdout``."""
    pairs = find_pairs(folder)
    if len(pairs) < 2:
        raise ValueError(f"{folder}: fine-tuning needs at least 2 image/mask pairs")
    train, held = out / "shop-train", out / "shop-holdout"
    for root in (train, held):
        shutil.rmtree(root, ignore_errors=True)
        (root / "images").mkdir(parents=True)
        (root / "masks").mkdir()
    for i, (image, mask) in enumerate(pairs):
        root = held if holdout_every and i % holdout_every == holdout_every - 1 else train
        for source, kind in ((image, "images"), (mask, "masks")):
            target = root / kind / source.name
            try:
                os.link(source, target)
            except OSError:  # another file system, or links not allowed
                shutil.copy2(source, target)
    return train, held


def plan_finetune(
    folder: str | Path,
    model: str,
    out_dir: str | Path,
    steps: int = 300,
    holdout_every: int = 5,
    replay: bool = True,
    dev_dirs: list[str] | None = None,
) -> FinetunePlan:
    """The training config of a fine-tune of ``model`` on ``folder`` (nothing trained yet)."""
    out = Path(out_dir)
    weights = weights_of(model)
    state = load_checkpoint(weights)
    base = TrainConfig.from_dict(state["config"]).resolved()
    train, held = split_pairs(Path(folder), out, holdout_every)
    original = [d for d in base.train_dirs if Path(d).is_dir()] if replay else []
    if replay and not original:
        raise FileNotFoundError(
            "the model's original training data is not here "
            f"({', '.join(base.train_dirs)}); fine-tune without it (--no-replay) at the risk "
            "of forgetting, or give its location with --data-root"
        )
    n_shop = len(find_pairs(train))
    n_original = sum(len(find_pairs(d)) for d in original)
    repeats = max(1, round(SHOP_SHARE / (1 - SHOP_SHARE) * n_original / n_shop)) if original else 1
    config = base.replace(
        model_version=f"{base.model_version}-ft",
        init_from=str(weights),
        encoder_weights="",
        train_dirs=[str(train), *original],
        train_repeats=[repeats] + [1] * len(original),
        worn_dirs=[d for d in base.worn_dirs if d in original],
        val_dirs=[str(held), *(dev_dirs or [])],
        composite_weight=base.composite_weight if replay else 0.0,
        steps=steps,
        warmup_steps=max(1, steps // 10),
        lr=base.lr * 0.3,
        out_dir=str(out / "run"),
        val_every=max(1, steps // 3),
        ckpt_every=max(1, steps // 10),
    )
    shipped = Path(model).suffix != ".pt"
    return FinetunePlan(config, held, resolve_model(model) if shipped else None)


def compare(base_model: Path, tuned_model: Path, data: list[str], out: Path) -> dict:
    """Metrics of both models on each folder (as `skucut remove` cuts: refine fast, clean-up)."""
    from skucut.metrics import evaluate_dataset, summarize
    from skucut.pipeline import load_segmenter
    from skucut.refine import refine_alpha

    results = {}
    for label, path in (("original", base_model), ("fine-tuned", tuned_model)):
        segmenter = load_segmenter(str(path))

        def predict(rgb, segmenter=segmenter):
            return refine_alpha(rgb, segmenter.probability(rgb), "fast", True)

        results[label] = {Path(d).name: summarize(evaluate_dataset(predict, d)) for d in data}
    (out / "comparison.json").write_text(json.dumps(results, indent=2) + "\n")
    return results
