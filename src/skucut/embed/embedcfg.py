"""EmbedCfg: what an embedding model expects, stored in its ONNX metadata like ModelCfg."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

EMBED_METADATA_KEY = "skucut.embed_cfg"


@dataclass(frozen=True)
class EmbedCfg:
    name: str = "skucut-embed-lite0"
    version: str = "1"
    encoder: str = "efficientnet-lite0"  # skucut.models.encoders name
    input_size: int = 224  # square side of the product view
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    dim: int = 1280  # length of the (L2-normalised) vector
    source: str = ""  # where the weights come from, for cards

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> EmbedCfg:
        raw = json.loads(text)
        raw = {k: v for k, v in raw.items() if k in {f.name for f in fields(cls)}}
        for key in ("mean", "std"):
            if key in raw:
                raw[key] = tuple(raw[key])
        return cls(**raw)
