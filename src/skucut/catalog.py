"""Shipped model artifacts: resolve a name to a file, list what is installed.

Each model lives in ``models/NAME/`` with ``model.onnx``, ``card.json`` (measured metrics) and
``MODEL_CARD.md``. ``SKUCUT_MODELS_DIR`` adds a folder searched before the shipped one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from skucut.errors import ModelNotFound

DEFAULT_MODEL = "skucut-fast-v1"
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "models"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    size_bytes: int
    metrics: dict = field(default_factory=dict)
    task: str = "segmentation"  # or "super-resolution"; "" when no card declares it


def model_dirs() -> list[Path]:
    extra = os.environ.get("SKUCUT_MODELS_DIR")
    return ([Path(extra)] if extra else []) + [SHIPPED_DIR]


def list_models() -> list[ModelInfo]:
    found: dict[str, ModelInfo] = {}
    for root in model_dirs():
        for onnx_file in sorted(root.glob("*/model.onnx")) if root.is_dir() else []:
            name = onnx_file.parent.name
            card = onnx_file.parent / "card.json"
            facts = json.loads(card.read_text()) if card.exists() else {}
            info = ModelInfo(
                name,
                onnx_file,
                onnx_file.stat().st_size,
                facts.get("metrics", {}),
                facts.get("task", "segmentation" if card.exists() else ""),
            )
            found.setdefault(name, info)
    return list(found.values())


def resolve_model(name_or_path: str | os.PathLike | None, task: str = "segmentation") -> Path:
    """A model name (see ``skucut models``) or a path to an .onnx file -> the .onnx path.

    A shipped name must be a model for ``task``: a super-resolution model cannot remove a
    background, nor a segmentation model upscale."""
    name = str(name_or_path or DEFAULT_MODEL)
    if name.endswith(".onnx"):
        if Path(name).is_file():
            return Path(name)
        raise ModelNotFound(f"model file not found: {name}")
    infos = list_models()
    names = ", ".join(i.name for i in infos if i.task == task) or "none installed"
    for info in infos:
        if info.name == name and info.task in (task, ""):  # undeclared: the file itself tells
            return info.path
        if info.name == name:
            raise ModelNotFound(f"{name} is a {info.task} model, not a {task} one; use: {names}")
    raise ModelNotFound(f"unknown model {name!r}; {task} models: {names}")
