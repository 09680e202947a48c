"""Training, validation and export of the super-resolution model (``task: sr`` configs).

Self-supervised: high-resolution patches are cut from photos, degraded the way small shop
photos are (soft lens, antialiased bicubic downscale, JPEG, a little noise) and the network
learns to restore them. Like the segmentation loop, sample ``k`` is a pure function of
(seed, k) and checkpoints hold everything needed to resume exactly.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
import torch
from PIL import Image
from torch.nn import functional as F
from torch.utils.data import DataLoader

from skucut.io.decode import IMAGE_EXTS
from skucut.modelcfg import set_metadata
from skucut.models import create_model
from skucut.train.checkpoint import load_checkpoint
from skucut.train.config import strict_config, with_data_root
from skucut.train.ema import inference_weights
from skucut.train.steps import StepLoop
from skucut.upscale.srcfg import SR_METADATA_KEY, SRCfg


@dataclass(frozen=True)
class SRTrainConfig:
    task: str = "sr"
    model_name: str = "skucut-sr-x2"
    model_version: str = "1"
    scale: int = 2
    arch_kwargs: dict = field(default_factory=lambda: {"channels": 24, "blocks": 3})
    data_root: str = ""  # the folders below are relative to it when set
    image_dirs: list[str] = field(default_factory=list)  # training photos (any layout)
    val_dirs: list[str] = field(default_factory=list)  # held-out photos (PSNR vs bicubic)
    val_images: int = 40
    max_side: int = 800  # photos are kept in memory at most this big
    patch: int = 96  # high-resolution patch side
    p_blur: float = 0.3
    p_jpeg: float = 0.3
    p_noise: float = 0.2
    steps: int = 4000
    batch_size: int = 16
    lr: float = 1e-3
    warmup_steps: int = 100
    ema_decay: float = 0.999
    threads: int = 0
    seed: int = 0
    out_dir: str = "runs/sr-x2"
    val_every: int = 500
    ckpt_every: int = 250
    log_every: int = 20

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SRTrainConfig:
        return strict_config(cls, raw)

    def resolved(self) -> SRTrainConfig:
        return with_data_root(self, ("image_dirs", "val_dirs"))

    def sr_cfg(self, training_data: str = "") -> SRCfg:
        return SRCfg(
            name=self.model_name,
            version=self.model_version,
            arch_kwargs=dict(self.arch_kwargs),
            scale=self.scale,
            training_data=training_data,
        )


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma in [0, 1] (OpenCV's YCrCb, as the runtime uses)."""
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)[..., 0].astype(np.float32) / 255.0


def load_photos(folders: list[str], max_side: int, limit: int | None = None) -> list[np.ndarray]:
    """RGB photos from folders (masks/ folders skipped; RGBA cutouts flattened on white)."""
    paths = sorted(
        p
        for folder in folders
        for p in Path(folder).rglob("*")
        if p.suffix.lower() in IMAGE_EXTS and p.parent.name != "masks"
    )
    if not paths:
        raise FileNotFoundError(f"no photos under {', '.join(folders)}")
    if limit:
        paths = paths[:: max(1, len(paths) // limit)][:limit]
    photos = []
    for path in paths:
        with Image.open(path) as image:
            image = image.convert("RGBA")
            flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
            flat.alpha_composite(image)
            flat = flat.convert("RGB")
            flat.thumbnail((max_side, max_side), Image.LANCZOS)
            photos.append(np.asarray(flat))
    return photos


def downscale(y: np.ndarray, scale: int) -> np.ndarray:
    """Antialiased bicubic downscale (PIL), the usual SR benchmark degradation."""
    h, w = y.shape
    image = Image.fromarray(np.ascontiguousarray(y, dtype=np.float32))  # mode F
    return np.array(image.resize((w // scale, h // scale), Image.BICUBIC), dtype=np.float32)


class SRPatches:
    """(low-res Y, high-res Y) patch pairs; sample ``k`` is a pure function of (seed, k)."""

    def __init__(self, photos: list[np.ndarray], cfg: SRTrainConfig):
        self.photos = [p for p in photos if min(p.shape[:2]) >= cfg.patch]
        if not self.photos:
            raise ValueError(f"no photo is at least {cfg.patch} px on its short side")
        self.cfg = cfg

    def __len__(self) -> int:
        return 1 << 62

    def __getitem__(self, k: int) -> dict[str, np.ndarray]:
        cfg, s = self.cfg, self.cfg.scale
        rng = np.random.default_rng([cfg.seed, k, 7])
        photo = self.photos[rng.integers(len(self.photos))]
        h, w = photo.shape[:2]
        y0, x0 = rng.integers(0, h - cfg.patch + 1), rng.integers(0, w - cfg.patch + 1)
        hr = luma(np.ascontiguousarray(photo[y0 : y0 + cfg.patch, x0 : x0 + cfg.patch]))
        hr = np.rot90(hr, rng.integers(4))
        if rng.random() < 0.5:
            hr = hr[:, ::-1]
        hr = np.ascontiguousarray(hr)
        lr = hr
        if rng.random() < cfg.p_blur:  # a soft lens, before the sensor's sampling
            lr = cv2.GaussianBlur(lr, (0, 0), rng.uniform(0.3, 0.6 * s))
        lr = downscale(lr, s)
        if rng.random() < cfg.p_jpeg:
            buf = io.BytesIO()
            Image.fromarray((np.clip(lr, 0, 1) * 255 + 0.5).astype(np.uint8)).save(
                buf, "JPEG", quality=int(rng.integers(70, 96))
            )
            lr = np.asarray(Image.open(buf), dtype=np.float32) / 255.0
        if rng.random() < cfg.p_noise:
            lr = lr + rng.normal(0, rng.uniform(0.002, 0.01), lr.shape).astype(np.float32)
        return {"lr": np.clip(lr, 0, 1)[None].astype(np.float32), "hr": hr[None]}


def psnr(a: np.ndarray, b: np.ndarray, shave: int = 0) -> float:
    if shave:
        a, b = a[shave:-shave, shave:-shave], b[shave:-shave, shave:-shave]
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(1.0 / max(mse, 1e-12))


def validation_pairs(photos: list[np.ndarray], scale: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(LR, HR) luma pairs: HR cropped to a multiple of the scale, LR its bicubic downscale."""
    pairs = []
    for photo in photos:
        h, w = (photo.shape[0] // scale) * scale, (photo.shape[1] // scale) * scale
        hr = luma(np.ascontiguousarray(photo[:h, :w]))
        pairs.append((downscale(hr, scale), hr))
    return pairs


@torch.no_grad()
def validate_sr(model, pairs, scale: int) -> dict[str, float]:
    model.eval()
    ours, bicubic = [], []
    for lr, hr in pairs:
        x = torch.from_numpy(lr)[None, None]
        out = model(x).clamp(0, 1)[0, 0].numpy()
        base = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)
        ours.append(psnr(out, hr, shave=scale))
        bicubic.append(psnr(base.clamp(0, 1)[0, 0].numpy(), hr, shave=scale))
    model.train()
    result = {"psnr": float(np.mean(ours)), "psnr_bicubic": float(np.mean(bicubic))}
    result["gain_db"] = result["psnr"] - result["psnr_bicubic"]
    return result


def train_sr(cfg: SRTrainConfig, resume: bool = True, stop_after: int | None = None) -> Path:
    """Train per ``cfg``; returns the best checkpoint (highest validation PSNR)."""
    cfg = cfg.resolved()
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    model = create_model("srnet", scale=cfg.scale, **cfg.arch_kwargs)
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.0)
    photos = load_photos(cfg.image_dirs, cfg.max_side)
    names = ", ".join(Path(d).name for d in cfg.image_dirs)
    sr_cfg = cfg.sr_cfg(f"{len(photos)} photos from: {names}")
    loop = StepLoop(cfg, model, optimizer, out, {"sr_cfg": sr_cfg.to_json()})
    if resume:
        loop.resume()

    val_pairs = (
        validation_pairs(load_photos(cfg.val_dirs, cfg.max_side, cfg.val_images), cfg.scale)
        if cfg.val_dirs
        else []
    )
    end = min(cfg.steps, stop_after or cfg.steps)
    loader = DataLoader(
        SRPatches(photos, cfg),
        batch_size=cfg.batch_size,
        sampler=range(loop.step * cfg.batch_size, end * cfg.batch_size),
        drop_last=True,
    )

    def loss_fn(batch):
        prediction = model(batch["lr"].to(memory_format=torch.channels_last))
        # Charbonnier: L1 that stays smooth at zero.
        loss = torch.sqrt((prediction - batch["hr"]) ** 2 + 1e-6).mean()
        return loss, {"loss": loss.detach()}

    return loop.run(
        loader,
        loss_fn,
        (lambda m: validate_sr(m, val_pairs, cfg.scale)) if val_pairs else None,
        end=end,
        score="psnr",
        desc="train-sr",
    )


def load_sr_model(ckpt_path: str | Path) -> tuple[torch.nn.Module, SRCfg]:
    state = load_checkpoint(ckpt_path)
    cfg = SRCfg.from_json(state["sr_cfg"])
    model = create_model("srnet", scale=cfg.scale, **(cfg.arch_kwargs or {}))
    model.load_state_dict(inference_weights(state))
    return model.eval(), cfg


class _Residual(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, y):
        return self.model.residual(y)


def export_sr(ckpt_path: str | Path, out_path: str | Path) -> SRCfg:
    """ONNX of the residual with dynamic H/W and the SRCfg in its metadata; the runtime's
    bicubic + ONNX residual is checked against the torch model."""
    import onnxruntime as ort

    model, cfg = load_sr_model(ckpt_path)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        _Residual(model).eval(),
        (torch.rand(1, 1, 64, 64),),
        str(out_path),
        input_names=["y"],
        output_names=["y_up"],
        dynamic_axes={"y": {0: "batch", 2: "height", 3: "width"}, "y_up": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    proto = onnx.load(str(out_path))
    set_metadata(proto, SR_METADATA_KEY, cfg.to_json())
    onnx.save(proto, str(out_path))
    x = np.random.default_rng(0).random((1, 1, 37, 53), dtype=np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    session = ort.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    base = cv2.resize(x[0, 0], (53 * cfg.scale, 37 * cfg.scale), interpolation=cv2.INTER_CUBIC)
    got = base + session.run(None, {"y": x})[0][0, 0]
    if got.shape != expected.shape[2:] or np.abs(got - expected[0, 0]).max() > 1e-4:
        raise RuntimeError("ONNX super-resolution output differs from torch")
    return cfg
