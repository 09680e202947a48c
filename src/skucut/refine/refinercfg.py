"""RefinerCfg: what the runtime needs to know about a learned edge refiner (ONNX metadata)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

REFINER_METADATA_KEY = "skucut.refiner_cfg"


@dataclass(frozen=True)
class RefinerCfg:
    name: str = "edge-refiner"
    version: str = "0"
    arch_kwargs: dict | None = None
    # The graph takes N x 4 x H x W: RGB scaled to [-1, 1] and the coarse alpha in [0, 1]
    # (H, W multiples of ``stride``), and returns N x 1 x H x W alpha in [0, 1].
    stride: int = 8
    # Context: each tile is run with this many pixels of the photo around it on every side,
    # so its border pixels see what they saw in training.
    margin: int = 16
    tile: int = 64
    # The uncertain band: pixels whose coarse alpha is in (low, high), grown by ``band``
    # pixels (at the refiner's resolution). Elsewhere the coarse alpha is already decided.
    band: int = 12
    low: float = 0.02
    high: float = 0.98
    training_data: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RefinerCfg:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(text).items() if k in known})
