"""Checkpoint -> ONNX with dynamic spatial axes, a sigmoid at the end, and ModelCfg metadata."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from skucut.modelcfg import METADATA_KEY, ModelCfg, set_metadata
from skucut.train.checkpoint import load_trained_model


class _WithSigmoid(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model(x))


def export_onnx(
    ckpt_path: str | Path,
    out_path: str | Path,
    check: bool = True,
    int8_weights: bool = True,
    input_size: int | None = None,
    version: str | None = None,
) -> ModelCfg:
    """Write ``out_path``; with ``check``, compare onnxruntime against torch on a random input.

    ``int8_weights`` stores conv weights in int8 (see ``store_weights_int8``), a quarter of the
    file; inference stays float32. ``input_size`` overrides the inference size
    recorded in the ModelCfg (the network is fully convolutional); ``version`` the version.
    """
    model, cfg = load_trained_model(ckpt_path)
    cfg = dataclasses.replace(
        cfg,
        output_kind="probability",
        input_size=input_size or cfg.input_size,
        version=version or cfg.version,
    )
    wrapped = _WithSigmoid(model).eval()
    dummy = torch.randn(1, 3, cfg.input_size, cfg.input_size)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        wrapped,
        (dummy,),
        str(out_path),
        input_names=["image"],
        output_names=["alpha"],
        dynamic_axes={
            "image": {0: "batch", 2: "height", 3: "width"},
            "alpha": {0: "batch", 2: "height", 3: "width"},
        },
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(out_path))
    set_metadata(proto, METADATA_KEY, cfg.to_json())
    onnx.save(proto, str(out_path))
    if check:  # the float graph must match torch; weight storage is a separate, measured choice
        max_diff = parity(wrapped, out_path, cfg)
        if max_diff > 1e-4:
            raise RuntimeError(f"ONNX output differs from torch by {max_diff:.2e}")
    if int8_weights:
        store_weights_int8(proto)
        onnx.save(proto, str(out_path))
    return cfg


def store_weights_int8(proto: onnx.ModelProto) -> None:
    """Store conv weights as int8 with one scale per output channel (symmetric).

    A DequantizeLinear node restores float32 weights, so activations and arithmetic stay
    float32; the file shrinks ~4x and the dev-set metrics move by <= 0.0002 (measured on
    skucut-unet-v1).
    """
    from onnx import helper, numpy_helper

    graph = proto.graph
    dequantize = []
    for init in list(graph.initializer):
        weights = numpy_helper.to_array(init)
        if weights.dtype != np.float32 or weights.ndim != 4:
            continue
        scale = np.abs(weights).reshape(weights.shape[0], -1).max(axis=1) / 127.0
        scale = np.maximum(scale, 1e-12).astype(np.float32)
        q = np.clip(np.round(weights / scale[:, None, None, None]), -127, 127).astype(np.int8)
        name = init.name
        graph.initializer.remove(init)
        graph.initializer.extend(
            [
                numpy_helper.from_array(q, name + "__q"),
                numpy_helper.from_array(scale, name + "__scale"),
                numpy_helper.from_array(np.zeros(len(scale), np.int8), name + "__zero"),
            ]
        )
        dequantize.append(
            helper.make_node(
                "DequantizeLinear",
                [name + "__q", name + "__scale", name + "__zero"],
                [name],
                axis=0,
            )
        )
    for node in reversed(dequantize):
        graph.node.insert(0, node)


@torch.no_grad()
def parity(model: nn.Module, onnx_path: str | Path, cfg: ModelCfg, seed: int = 0) -> float:
    """Max |torch - onnxruntime| on a random input at a non-square size (tests dynamic axes)."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 3, cfg.input_size, cfg.input_size + cfg.stride)).astype(np.float32)
    expected = model(torch.from_numpy(x)).numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    return float(np.abs(expected - got).max())
