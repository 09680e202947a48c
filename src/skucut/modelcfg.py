"""ModelCfg: the contract between the training chain and the serving chain.

Export writes it into the ONNX metadata; the runtime reads it back. Every preprocessing
fact lives here and nowhere else.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

METADATA_KEY = "skucut.model_cfg"
SR_METADATA_KEY = "skucut.sr_cfg"  # a super-resolution model's SRCfg (skucut.upscale.srcfg)

OUTPUT_KINDS = ("probability", "logits")
PRECISIONS = ("float32", "int8")


@dataclass(frozen=True)
class ModelCfg:
    name: str = "unet"
    version: str = "0"
    arch: str = "unet"
    arch_kwargs: dict = field(default_factory=dict)
    # Square side the image is resized to before inference (aspect is not kept, as in training).
    input_size: int = 320
    # Spatial sizes must be multiples of this (encoder downsampling factor).
    stride: int = 16
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    # "probability": the graph ends in a sigmoid; "logits": the runtime applies it.
    output_kind: str = "probability"
    training_data: str = ""
    # "float32" (possibly with int8-stored weights) or "int8" (QDQ activations and weights).
    precision: str = "float32"
    # What each channel of the output map is: "subject" (the product plus a person wearing or
    # holding it) first, then e.g. "person" (skin, hair, face, hands) on models that learn it.
    outputs: tuple[str, ...] = ("subject",)

    def __post_init__(self) -> None:
        if self.output_kind not in OUTPUT_KINDS:
            raise ValueError(f"output_kind must be one of {OUTPUT_KINDS}, got {self.output_kind!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not self.outputs or self.outputs[0] != "subject":
            raise ValueError(f"outputs must start with 'subject', got {self.outputs!r}")
        if self.input_size % self.stride:
            raise ValueError(
                f"input_size {self.input_size} is not a multiple of stride {self.stride}"
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ModelCfg:
        raw = json.loads(text)
        known = {f.name for f in fields(cls)}
        raw = {k: v for k, v in raw.items() if k in known}
        for key in ("mean", "std", "outputs"):
            if key in raw:
                raw[key] = tuple(raw[key])
        return cls(**raw)


def set_metadata(proto, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in an ONNX ModelProto's metadata (replacing an old one)."""
    kept = [(e.key, e.value) for e in proto.metadata_props if e.key != key]
    del proto.metadata_props[:]
    for k, v in [*kept, (key, value)]:
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    proto.producer_name = "skucut"
