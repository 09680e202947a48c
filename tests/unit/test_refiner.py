"""The learned edge refiner: training crops, export, and the band-only runner."""

import cv2
import numpy as np
import pytest
import torch

from skucut.data.edges import EdgeCrops, EdgeSource, _edges
from skucut.export.refiner import export_refiner
from skucut.models.refiner import EdgeRefiner
from skucut.refine.learned import EdgeRefinerRunner, uncertain_band
from skucut.refine.refinercfg import RefinerCfg
from skucut.train.checkpoint import save_checkpoint


def _disc(h, w, radius, centre=None):
    yy, xx = np.mgrid[:h, :w]
    cy, cx = centre or (h / 2, w / 2)
    return ((yy - cy) ** 2 + (xx - cx) ** 2 < radius**2).astype(np.float32)


@pytest.fixture(scope="module")
def untrained_refiner(tmp_path_factory):
    """An exported refiner whose head is zero: it returns the coarse alpha in the band."""
    folder = tmp_path_factory.mktemp("refiner")
    torch.manual_seed(0)
    ckpt = folder / "best.pt"
    save_checkpoint(ckpt, model=EdgeRefiner().state_dict(), refiner_cfg=RefinerCfg().to_json())
    export_refiner(ckpt, folder / "model.onnx", folder / "weights.pt")
    return folder / "model.onnx"


def test_crops_are_deterministic_and_well_formed():
    rng = np.random.default_rng(0)
    target = (_disc(120, 160, 40) * 255).astype(np.uint8)
    rgb = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    photo = EdgeSource(rgb, None, target, None, _edges(target, None))
    cutout = EdgeSource(rgb, target, target, None, _edges(target, None))
    crops = EdgeCrops([cutout], [photo], [])
    a, b = crops[7], crops[7]
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert a["input"].shape == (4, 80, 80) and a["target"].shape == (1, 80, 80)
    assert a["input"][:3].min() >= -1 and a["input"][:3].max() <= 1
    assert a["input"][3].min() >= 0 and a["input"][3].max() <= 1
    # Crops sit on edges: most of them hold both product and background.
    mixed = [0 < crops[k]["target"].mean() < 1 for k in range(20)]
    assert sum(mixed) >= 14


def test_untrained_refiner_keeps_decided_pixels_and_returns_its_input(untrained_refiner):
    runner = EdgeRefinerRunner(untrained_refiner, threads=1)
    truth = _disc(200, 300, 60)
    coarse = np.clip(cv2.GaussianBlur(truth, (0, 0), 3), 0, 1)
    rgb = (np.stack([truth] * 3, -1) * 200 + 30).astype(np.uint8)
    alpha = runner.refine(rgb, coarse)
    band = uncertain_band(coarse, runner.cfg.band, runner.cfg.low, runner.cfg.high)
    assert set(np.unique(alpha[~band])) <= {0.0, 1.0}
    assert np.array_equal(alpha[~band], (coarse[~band] > 0.5).astype(np.float32))
    np.testing.assert_allclose(alpha[band], np.clip(coarse[band], 0.01, 0.99), atol=1e-4)


def test_refiner_cost_follows_the_outline_not_the_area(untrained_refiner):
    runner = EdgeRefinerRunner(untrained_refiner, threads=1)
    rgb = np.full((1024, 1024, 3), 128, np.uint8)
    runner.refine(rgb, np.zeros((1024, 1024), np.float32))
    assert runner.last_tiles == 0  # nothing uncertain: nothing to run
    small = cv2.GaussianBlur(_disc(1024, 1024, 60), (0, 0), 2)
    runner.refine(rgb, small)
    small_tiles = runner.last_tiles
    large = cv2.GaussianBlur(_disc(1024, 1024, 400), (0, 0), 2)
    runner.refine(rgb, large)
    assert 0 < small_tiles < runner.last_tiles < 0.5 * (1024 // runner.cfg.tile) ** 2


def test_shipped_refiner_sharpens_a_misplaced_coarse_edge():
    """A product on a plain sweep, its coarse map predicted at 1/4 resolution and shifted: the
    refiner's edge is closer to the truth than the coarse map's."""
    from skucut.catalog import resolve_model

    runner = EdgeRefinerRunner(resolve_model("skucut-refiner-v2", task="edge-refinement"), 1)
    h, w = 480, 640
    truth = _disc(h, w, 150)
    truth[140:340, 100:140] = 1.0  # a handle: corners the coarse map rounds off
    yy, xx = np.mgrid[:h, :w]
    product = np.stack([90 + 40 * np.sin(xx / 17), 60 + 0 * xx, 140 + 30 * np.cos(yy / 23)], -1)
    backdrop = np.full((h, w, 3), 235.0)
    rgb = np.round(truth[..., None] * product + (1 - truth[..., None]) * backdrop).astype(np.uint8)
    small = cv2.resize(truth, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
    small = cv2.warpAffine(small, np.float32([[1, 0, 1.2], [0, 1, -0.8]]), (w // 4, h // 4))
    small = 1 / (1 + np.exp(-12 * (cv2.GaussianBlur(small, (0, 0), 0.8) - 0.5)))
    coarse = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    refined = runner.refine(rgb, coarse)
    before = np.abs((coarse > 0.5) - truth).sum()
    after = np.abs((refined > 0.5) - truth).sum()
    assert after < 0.5 * before, (before, after)
