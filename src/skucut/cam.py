"""Grad-CAM of a segmentation model's encoder for its subject output (needs the train extra).

For model builders: which parts of the photo the encoder's deepest features used to call
pixels "subject". The score is the sum of the subject logits over the pixels the model calls
subject; Grad-CAM weighs each channel of the deepest feature map (the smallest spatial size
any convolution produces: the encoder's last stage) by the mean gradient of that score, sums
them and keeps the positive part (Selvaraju et al., 2017). The serving chain never imports
this module: it needs torch and the model's weights file (``weights.pt`` beside a shipped
model, or a training checkpoint).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from skucut.modelcfg import ModelCfg
from skucut.models import create_model


def load_torch_model(weights: str | Path) -> tuple[nn.Module, ModelCfg]:
    """The model a weights file or checkpoint describes, in eval mode, in float32."""
    from skucut.train.checkpoint import load_checkpoint
    from skucut.train.ema import inference_weights

    state = load_checkpoint(weights)
    if "model_cfg" not in state:
        raise ValueError(f"{Path(weights).name} has no model_cfg: not a skucut checkpoint")
    cfg = ModelCfg.from_json(state["model_cfg"])
    model = create_model(cfg.arch, **cfg.arch_kwargs)
    model.load_state_dict({k: v.float() for k, v in inference_weights(state).items()})
    return model.eval(), cfg


def _deepest_conv(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """The last convolution among those with the smallest output larger than one pixel (the
    encoder's last stage)."""
    sizes: dict[nn.Module, int] = {}
    hooks = [
        m.register_forward_hook(
            lambda mod, _i, out: sizes.__setitem__(mod, out.shape[-1] * out.shape[-2])
        )
        for m in model.modules()
        if isinstance(m, nn.Conv2d)
    ]
    with torch.no_grad():
        model(x)
    for hook in hooks:
        hook.remove()
    # Image-level context (global pooling) gives 1x1 maps, which locate nothing: skip them.
    smallest = min(size for size in sizes.values() if size > 1)
    return [m for m, size in sizes.items() if size == smallest][-1]


def grad_cam(model: nn.Module, cfg: ModelCfg, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Grad-CAM in 0..1, subject probability), both at the model's working size."""
    side = cfg.input_size
    small = cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA)
    x = (small.astype(np.float32) / 255.0 - np.asarray(cfg.mean, np.float32)) / np.asarray(
        cfg.std, np.float32
    )
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))
    layer = _deepest_conv(model, x)
    kept: dict[str, torch.Tensor] = {}

    def keep(_module, _inputs, output):
        output.retain_grad()
        kept["features"] = output

    hook = layer.register_forward_hook(keep)
    try:
        logits = model(x)[:, 0]
    finally:
        hook.remove()
    prob = torch.sigmoid(logits)
    subject = (prob > 0.5).float()
    # Where the model finds nothing, explain its best guess instead of an empty score.
    weight = subject if subject.sum() > 0 else prob
    (logits * weight).sum().backward()
    features, grads = kept["features"], kept["features"].grad
    cam = torch.relu((grads.mean(dim=(2, 3), keepdim=True) * features).sum(dim=1))[0]
    cam = cam.detach().numpy()
    cam = cv2.resize(cam, (side, side), interpolation=cv2.INTER_LINEAR)
    cam = cam / cam.max() if cam.max() > 0 else cam
    return cam.astype(np.float32), prob[0].detach().numpy()


def draw_cam(rgb: np.ndarray, cam: np.ndarray, prob: np.ndarray, panel: int = 360) -> np.ndarray:
    """Photo | Grad-CAM as a heat map over the photo, with the subject's outline (RGB uint8)."""
    height, width = rgb.shape[:2]
    scale = panel / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    photo = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    heat = cv2.applyColorMap(
        (255 * cv2.resize(cam, size, interpolation=cv2.INTER_LINEAR)).astype(np.uint8),
        cv2.COLORMAP_JET,
    )[..., ::-1]
    overlay = (0.45 * photo + 0.55 * heat).astype(np.uint8)
    fg = (cv2.resize(prob, size, interpolation=cv2.INTER_LINEAR) > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(fg, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(overlay, contours, -1, (255, 255, 255), 1, cv2.LINE_AA)
    gap = np.full((size[1], 6, 3), 255, np.uint8)
    return np.hstack([photo, gap, np.ascontiguousarray(overlay)])
