"""The motion-gated temporal median on synthetic frames and alphas (no model, no codec)."""

from __future__ import annotations

import numpy as np

from skucut.video.temporal import TemporalMedian


def backdrop(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.tile(np.linspace(60, 200, 160, dtype=np.float32), (120, 1))[..., None].repeat(3, 2)
    return np.clip(base + rng.normal(0, 2, base.shape), 0, 255).astype(np.uint8)  # noise


def run(frames, alphas):
    median, out = TemporalMedian(), []
    for index, (rgb, alpha) in enumerate(zip(frames, alphas, strict=True)):
        out += median.push(index, rgb, alpha)
    out += median.flush()
    assert [key for key, _ in out] == list(range(len(frames)))  # every frame, in order
    return [alpha for _, alpha in out]


def test_a_one_frame_blob_on_a_still_picture_vanishes_without_a_trace():
    frames = [backdrop(i) for i in range(5)]
    alphas = [np.zeros((120, 160), np.uint8) for _ in range(5)]
    for a in alphas:
        a[30:90, 60:100] = 255  # the product
    alphas[2] = alphas[2].copy()
    alphas[2][5:25, 5:40] = 255  # the model imagines something in one frame
    alphas[3] = alphas[3].copy()
    alphas[3][89, 60:100] = 0  # and flips an edge row in another
    out = run(frames, alphas)
    assert (out[2][5:25, 5:40] == 0).all()  # gone, not grey
    assert (out[3][89, 60:100] == 255).all()
    assert all(np.array_equal(o[30:90, 60:100], alphas[0][30:90, 60:100]) for o in out)


def test_a_moving_product_keeps_its_own_alpha():
    frames, alphas = [], []
    for t in range(4):
        rgb, alpha = backdrop(t), np.zeros((120, 160), np.uint8)
        x0 = 5 + 35 * t  # moves further than its width each frame: a median would erase it
        rgb[30:90, x0 : x0 + 30] = (200, 40, 40)
        alpha[30:90, x0 : x0 + 30] = 255
        frames.append(rgb)
        alphas.append(alpha)
    out = run(frames, alphas)
    assert all(np.array_equal(o, a) for o, a in zip(out, alphas, strict=True))  # no trail


def test_short_videos():
    frames = [backdrop(0)]
    assert len(run(frames, [np.zeros((120, 160), np.uint8)])) == 1
    assert len(run(frames * 2, [np.zeros((120, 160), np.uint8)] * 2)) == 2
