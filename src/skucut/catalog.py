"""Shipped model artifacts: resolve a name to a file, list what is installed.

Each model lives in a folder ``NAME/`` with ``model.onnx``, ``card.json`` (measured metrics) and
``MODEL_CARD.md``. Folders are searched in this order: ``SKUCUT_MODELS_DIR`` (a user's own),
the installed package's ``skucut/_models/`` (the offered models, copied there when a wheel is
built, see setup.py), then the checkout's ``models/`` (a source tree or an editable install;
it also holds retired models, which still resolve by name but are listed only on request).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from skucut.errors import ModelNotFound

DEFAULT_MODEL = "skucut-quality-v4"
FAST_MODEL = "skucut-fast-v1"  # the faster choice for large catalogues of plain product shots
# The models a user is offered: packed into the wheel and sdist (setup.py reads this tuple, so
# it must stay a literal) and listed by `skucut models`. A new model ships by being named here;
# other folders in the checkout's models/ are retired (`skucut models --all`).
OFFERED_MODELS = (
    "skucut-quality-v4",
    "skucut-fast-v1",
    "skucut-refiner-v2",
    "skucut-sr-x2-v1",
    "skucut-sr-x4-v1",
    "skucut-embed-lite0",
)
# What `skucut models` says of each offered model beyond its card: what it is for, and the
# median model time at its working size where the card has none (`skucut bench`, 2-core EPYC,
# 2 threads, nothing else running; docs/models.md has the commands and full tables).
MODEL_NOTES = {
    # v4 is v3's weights at 352 px instead of 448 (v3 is v1's network plus a 1x1 person head):
    # 34.0 ms against v3's 57.2 at 448 px in the same run (2026-12-07).
    "skucut-quality-v4": (34.0, "the default: people kept whole, a person map, best edges"),
    "skucut-fast-v1": (11.4, "3x faster model; large catalogues of plain product shots"),
    "skucut-refiner-v2": (None, "--refine learned: experimental, below the graph cut so far"),
    "skucut-sr-x2-v1": (None, "--upscale 2 and skucut upscale --scale 2"),
    "skucut-sr-x4-v1": (None, "--upscale 4 and skucut upscale --scale 4"),
    "skucut-embed-lite0": (None, "skucut embed / similar: find look-alike products"),
}
# A checkout's models/ (src/skucut/catalog.py -> models/); absent in an installed wheel.
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "models"
PACKAGE_MODELS = "_models"  # folder inside the skucut package where setup.py puts them


@dataclass(frozen=True)
class ModelInfo:
    name: str
    path: Path
    size_bytes: int
    metrics: dict = field(default_factory=dict)
    task: str = "segmentation"  # or "super-resolution"; "" when no card declares it
    offered: bool = True  # False: a retired model left in the checkout's models/
    card: dict = field(default_factory=dict)  # the whole card.json


def _package_dir() -> Path | None:
    # A wheel is installed as plain files, so the resource is a real folder on disk.
    folder = resources.files("skucut") / PACKAGE_MODELS
    return Path(str(folder)) if folder.is_dir() else None


def _checkout_dir() -> Path | None:
    # Only a source tree (src/skucut/...) has a models/ two levels up; an installed package's
    # parents are site-packages and lib/, where a "models" folder would be someone else's.
    in_checkout = Path(__file__).resolve().parents[1].name == "src"
    return SHIPPED_DIR if in_checkout and SHIPPED_DIR.is_dir() else None


def model_dirs() -> list[Path]:
    extra = os.environ.get("SKUCUT_MODELS_DIR")
    found = [Path(extra)] if extra else []
    return found + [d for d in (_package_dir(), _checkout_dir()) if d is not None]


def list_models(include_retired: bool = False) -> list[ModelInfo]:
    """Installed models, first found per name; retired ones only with ``include_retired``."""
    extra = os.environ.get("SKUCUT_MODELS_DIR")
    found: dict[str, ModelInfo] = {}
    for root in model_dirs():
        for onnx_file in sorted(root.glob("*/model.onnx")) if root.is_dir() else []:
            name = onnx_file.parent.name
            card = onnx_file.parent / "card.json"
            facts = json.loads(card.read_text()) if card.exists() else {}
            # A user's own folder is theirs to offer; in ours, the tuple above decides.
            offered = name in OFFERED_MODELS or (extra is not None and root == Path(extra))
            info = ModelInfo(
                name,
                onnx_file,
                onnx_file.stat().st_size,
                facts.get("metrics", {}),
                facts.get("task", "segmentation" if card.exists() else ""),
                offered,
                facts,
            )
            found.setdefault(name, info)
    return [m for m in found.values() if m.offered or include_retired]


def resolve_model(name_or_path: str | os.PathLike | None, task: str = "segmentation") -> Path:
    """A model name (see ``skucut models``) or a path to an .onnx file -> the .onnx path.

    A shipped name must be a model for ``task``: a super-resolution model cannot remove a
    background, nor a segmentation model upscale."""
    name = str(name_or_path or DEFAULT_MODEL)
    if name.endswith(".onnx"):
        if Path(name).is_file():
            return Path(name)
        raise ModelNotFound(f"model file not found: {name}")
    infos = list_models(include_retired=True)  # a retired name still works where it is present
    names = ", ".join(i.name for i in infos if i.task == task and i.offered) or "none installed"
    for info in infos:
        if info.name == name and info.task in (task, ""):  # undeclared: the file itself tells
            return info.path
        if info.name == name:
            raise ModelNotFound(f"{name} is a {info.task} model, not a {task} one; use: {names}")
    raise ModelNotFound(f"unknown model {name!r}; {task} models: {names}")
