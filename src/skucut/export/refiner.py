"""Export a trained edge refiner (skucut.train.refiner) to ONNX with its RefinerCfg, checked
against torch with onnxruntime; the weights alone (float16) go beside it to train on from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch

from skucut.modelcfg import set_metadata
from skucut.models.refiner import EdgeRefiner
from skucut.refine.refinercfg import REFINER_METADATA_KEY, RefinerCfg
from skucut.train.checkpoint import load_checkpoint, save_checkpoint
from skucut.train.ema import inference_weights


def load_refiner(ckpt_path: str | Path) -> tuple[EdgeRefiner, RefinerCfg, dict]:
    state = load_checkpoint(ckpt_path)
    cfg = RefinerCfg.from_json(state["refiner_cfg"])
    model = EdgeRefiner(**(cfg.arch_kwargs or {}))
    model.load_state_dict({k: v.float() for k, v in inference_weights(state).items()})
    return model.eval(), cfg, state


def export_refiner(
    ckpt_path: str | Path, out_path: str | Path, weights_path: str | Path | None = None
) -> RefinerCfg:
    """ONNX with dynamic batch/height/width; the onnxruntime output must match torch."""
    import onnxruntime as ort

    model, cfg, state = load_refiner(ckpt_path)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (torch.zeros(1, 4, 96, 96),),
        str(out_path),
        input_names=["x"],
        output_names=["alpha"],
        dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}, "alpha": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(out_path))
    set_metadata(proto, REFINER_METADATA_KEY, cfg.to_json())
    onnx.save(proto, str(out_path))
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [rng.uniform(-1, 1, (2, 3, 64, 96)), rng.uniform(0, 1, (2, 1, 64, 96))], 1
    ).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    session = ort.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"x": x})[0]
    if got.shape != expected.shape or np.abs(got - expected).max() > 1e-4:
        raise RuntimeError("ONNX refiner output differs from torch")
    if weights_path:  # float16, with what a later run needs to go on from them (init_from)
        weights = {k: v.half() for k, v in model.state_dict().items()}
        kept = {k: state[k] for k in ("config", "step", "refiner_cfg") if k in state}
        save_checkpoint(weights_path, model=weights, **kept)
    return cfg
