"""The paired warp: image and mask move together; close-ups land on the subject."""

import numpy as np

from skucut.data.augment import AugmentCfg, random_warp


def _scene(size=200):
    """A small bright square subject (255) off-centre on a dark photo with a 128 rim."""
    xx = np.mgrid[:size, :size][1]
    mask = np.zeros((size, size), np.uint8)
    mask[120:170, 30:80] = 255
    mask[118:120, 30:80] = 128
    image = np.where(mask[..., None] == 255, 230, 20).astype(np.uint8).repeat(3, axis=2)
    image[..., 1] = (xx % 256).astype(np.uint8)  # texture, so the warp is visible in the image
    return image, mask


def test_image_and_mask_move_together_and_labels_survive():
    image, mask = _scene()
    for k in range(10):
        img, msk = random_warp(image, mask, 96, np.random.default_rng(k), AugmentCfg())
        assert set(np.unique(msk)) <= {0, 128, 255}  # nearest-neighbour: no blended labels
        subject = msk == 255
        if subject.sum() > 50:  # the subject's pixels are the bright ones
            assert img[..., 0][subject].mean() > 150 > img[..., 0][msk == 0].mean()


def test_closeups_fill_the_frame_with_the_subject():
    """The subject covers 6% of the photo; a close-up centres on it and zooms in, so it runs
    off the frame, while plain samples keep it small."""
    image, mask = _scene()
    plain = AugmentCfg(rotate_deg=0)
    closeup = AugmentCfg(rotate_deg=0, p_closeup=1.0, closeup_max_upsample=100.0)
    share = {
        name: np.mean(
            [
                (random_warp(image, mask, 96, np.random.default_rng(k), cfg)[1] == 255).mean()
                for k in range(20)
            ]
        )
        for name, cfg in (("plain", plain), ("closeup", closeup))
    }
    assert share["plain"] < 0.15
    assert share["closeup"] > 0.3
    # A photo without subject pixels falls back to a plain sample instead of failing.
    empty = np.zeros_like(mask)
    _, msk = random_warp(image, empty, 96, np.random.default_rng(0), closeup)
    assert msk.max() == 0


def test_closeups_never_enlarge_the_source_past_the_cap():
    """The 50 px subject of a 200 px photo cannot fill a 384 px sample without enlarging the
    photo about 5x: with the default cap it gets a plain sample (the subject stays small)."""
    image, mask = _scene()
    capped = AugmentCfg(rotate_deg=0, p_closeup=1.0)
    for k in range(10):
        _, msk = random_warp(image, mask, 384, np.random.default_rng(k), capped)
        assert (msk == 255).mean() < 0.2
