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


def test_a_still_soft_edge_stops_wobbling_and_a_real_change_comes_through():
    frames = [backdrop(i) for i in range(8)]
    wobble = [0, 20, -20, 20, -20, 20, -20, 20]  # the soft edge's alpha, frame by frame
    alphas = [np.full((120, 160), 128 + w, np.uint8) for w in wobble]
    alphas[6] = alphas[6].copy()
    alphas[6][:, :80] = 250  # the model becomes sure of the left half, to the end
    alphas[7] = alphas[7].copy()
    alphas[7][:, :80] = 250
    out = run(frames, alphas)
    assert all((o[:, 80:] == 128).all() for o in out)  # held: no wobble at all
    assert (out[7][:, :80] == 250).all()  # a change larger than the wobble is not held


def test_a_slow_change_of_picture_is_not_held_forever():
    frames, alphas = [], []
    for t in range(12):
        rgb = backdrop(t).astype(np.int16)
        rgb[:, :80] += 4 * t  # the left half brightens 4 levels a frame: too little to see at once
        frames.append(np.clip(rgb, 0, 255).astype(np.uint8))
        alpha = np.zeros((120, 160), np.uint8)
        alpha[:, :80] = min(255, 8 * t)  # and the model's alpha rises with it
        alphas.append(alpha)
    out = run(frames, alphas)
    assert out[-1][60, 40] >= 8 * 8  # followed, one step behind at most a few frames
