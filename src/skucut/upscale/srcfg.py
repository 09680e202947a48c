"""SRCfg: what the runtime needs to know about a super-resolution model (in its ONNX metadata)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from skucut.modelcfg import SR_METADATA_KEY

__all__ = ["SR_METADATA_KEY", "SRCfg"]


@dataclass(frozen=True)
class SRCfg:
    name: str = "srnet"
    version: str = "0"
    arch: str = "srnet"
    arch_kwargs: dict | None = None
    scale: int = 2
    # The graph maps luma (BT.601 Y in [0, 1], 1 channel) to the correction added to the
    # bicubic upscale of that luma; chroma is bicubic.
    channels: str = "y"
    output: str = "residual"
    training_data: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SRCfg:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(text).items() if k in known})
