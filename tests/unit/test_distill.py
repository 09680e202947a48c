"""Distillation: the student also learns a teacher's probabilities on every pixel."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from skucut.train.config import TrainConfig  # noqa: E402
from skucut.train.loop import load_teacher, train  # noqa: E402
from skucut.train.task import segmentation_step  # noqa: E402

TINY = {"base": 4, "depth": 2, "max_width": 16}


def _cfg(tmp_path, pair_folder, name, **changes) -> TrainConfig:
    return TrainConfig(
        arch="unet", arch_kwargs=TINY, train_size=32, input_size=32,
        train_dirs=[str(pair_folder)], steps=3, batch_size=4, warmup_steps=1, log_every=1,
        bf16="off", out_dir=str(tmp_path / name), **changes,
    )  # fmt: skip


def test_the_teacher_is_learnt_on_every_pixel(tmp_path, pair_folder):
    teacher = train(_cfg(tmp_path, pair_folder, "teacher"))
    probabilities = load_teacher(str(teacher), ((0.5,) * 3, (0.25,) * 3), torch.device("cpu"))
    image = torch.randn(2, 3, 32, 32)
    target = torch.zeros(2, 1, 32, 32)
    batch = {"image": image, "target": target, "valid": torch.zeros_like(target)}  # no labels
    batch["teacher"] = probabilities(image)
    assert batch["teacher"].shape == (2, 1, 32, 32) and 0 <= batch["teacher"].min() <= 1
    from skucut.models import create_model

    student = create_model("unet", **TINY)
    parts, _ = segmentation_step(student, batch, {"bce": 1.0}, distill_weight=2.0)
    assert parts["bce"] == 0 and float(parts["loss"]) == pytest.approx(2 * float(parts["distill"]))
    train(_cfg(tmp_path, pair_folder, "student", teacher=str(teacher), distill_weight=1.0))
    rows = [json.loads(line) for line in (tmp_path / "student" / "log.jsonl").open()]
    assert all(row["distill"] > 0 for row in rows if "loss" in row)
