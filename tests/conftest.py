"""Shared fixtures: tiny generated images and a tiny trained-and-exported model."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "coffee.jpg"


def disc_image(size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A bright disc on a dark noisy background, and its 0/255 mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    cy, cx = rng.uniform(0.35, 0.65, 2) * size
    r = rng.uniform(0.15, 0.3) * size
    mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < r**2).astype(np.uint8) * 255
    bg = rng.integers(0, 80, (size, size, 3))
    fg = np.array([230, 200, 60]) + rng.integers(-20, 20, (size, size, 3))
    rgb = np.where(mask[..., None] > 0, fg, bg).clip(0, 255).astype(np.uint8)
    return rgb, mask


def png_bytes(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.fixture(scope="session")
def pair_folder(tmp_path_factory) -> Path:
    """images/ + masks/ with 12 disc images (one mask has a 128 ignore band)."""
    root = tmp_path_factory.mktemp("pairs")
    (root / "images").mkdir()
    (root / "masks").mkdir()
    for i in range(12):
        rgb, mask = disc_image(64, seed=i)
        if i == 0:
            import cv2

            band = cv2.dilate(mask, np.ones((3, 3), np.uint8)) - cv2.erode(
                mask, np.ones((3, 3), np.uint8)
            )
            mask = np.where(band > 0, 128, mask).astype(np.uint8)
        Image.fromarray(rgb).save(root / "images" / f"d{i:02d}.jpg", quality=95)
        Image.fromarray(mask).save(root / "masks" / f"d{i:02d}.png")
    return root


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, pair_folder) -> Path:
    """A tiny U-Net trained a few steps on the disc images and exported to ONNX."""
    pytest.importorskip("torch")
    from skucut.export import export_onnx
    from skucut.train.config import TrainConfig
    from skucut.train.loop import train

    out = tmp_path_factory.mktemp("tiny")
    cfg = TrainConfig(
        model_name="tiny",
        arch="unet",
        arch_kwargs={"base": 4, "depth": 2, "max_width": 16},
        train_size=32,
        input_size=32,
        train_dirs=[str(pair_folder)],
        val_dirs=[],
        steps=6,
        batch_size=4,
        warmup_steps=1,
        out_dir=str(out / "run"),
        log_every=100,
        ckpt_every=100,
    )
    ckpt = train(cfg)
    path = out / "tiny.onnx"
    export_onnx(ckpt, path)
    return path
