"""Checkpoint -> ONNX with dynamic spatial axes, a sigmoid at the end, and ModelCfg metadata."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from skucut.modelcfg import METADATA_KEY, ModelCfg
from skucut.models import create_model
from skucut.train.checkpoint import load_checkpoint


class _WithSigmoid(nn.Module):
    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model(x))


def load_trained_model(ckpt_path: str | Path) -> tuple[nn.Module, ModelCfg]:
    state = load_checkpoint(ckpt_path)
    cfg = ModelCfg.from_json(state["model_cfg"])
    model = create_model(cfg.arch, **cfg.arch_kwargs)
    model.load_state_dict(state["model"])
    return model.eval(), cfg


def export_onnx(
    ckpt_path: str | Path,
    out_path: str | Path,
    check: bool = True,
    fp16_weights: bool = True,
    input_size: int | None = None,
) -> ModelCfg:
    """Write ``out_path``; with ``check``, compare onnxruntime against torch on a random input.

    ``fp16_weights`` halves the file: weights are stored in float16 and cast back to float32 by
    a Cast node that onnxruntime constant-folds when the session is created, so inference
    still runs in float32 at the same speed. ``input_size`` overrides the inference size
    recorded in the ModelCfg (the network is fully convolutional).
    """
    model, cfg = load_trained_model(ckpt_path)
    cfg = dataclasses.replace(
        cfg, output_kind="probability", input_size=input_size or cfg.input_size
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
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, cfg.to_json()
    proto.producer_name = "skucut"
    if fp16_weights:
        store_weights_fp16(proto)
    onnx.save(proto, str(out_path))
    if check:
        max_diff = parity(wrapped, out_path, cfg)
        if max_diff > 5e-3:  # fp16 weight storage costs ~1e-3 on probabilities
            raise RuntimeError(f"ONNX output differs from torch by {max_diff:.2e}")
    return cfg


def store_weights_fp16(proto: onnx.ModelProto, min_size: int = 1024) -> None:
    from onnx import TensorProto, helper, numpy_helper

    graph = proto.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        weights = numpy_helper.to_array(init)
        if weights.size < min_size:
            continue
        half_name = init.name + "__fp16"
        casts.append(helper.make_node("Cast", [half_name], [init.name], to=TensorProto.FLOAT))
        init.CopyFrom(numpy_helper.from_array(weights.astype(np.float16), half_name))
    for node in reversed(casts):
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
