"""The compositing data engine: exact labels, shadows as background, determinism, mixing."""

import numpy as np
from PIL import Image

from skucut.data.composite import (
    CompositeCfg,
    CompositePairs,
    MixedSamples,
    label_from_alpha,
    load_backgrounds,
    load_cutouts,
)


def _cutout_folder(tmp_path):
    """A red square product with a soft grey shadow (alpha 0.2) in its own alpha, like the
    studio cutouts; and one background photo."""
    rgba = np.zeros((60, 60, 4), np.uint8)
    rgba[45:58, 5:55] = (40, 40, 40, 51)  # shadow: dark, alpha 0.2
    rgba[10:45, 15:45] = (220, 20, 20, 255)  # the product
    (tmp_path / "cut").mkdir()
    Image.fromarray(rgba, "RGBA").save(tmp_path / "cut" / "square.png")
    (tmp_path / "bg").mkdir()
    Image.fromarray(np.full((80, 80, 3), (30, 90, 200), np.uint8)).save(tmp_path / "bg" / "b.jpg")
    return tmp_path / "cut", tmp_path / "bg"


def test_labels_from_alpha_put_shadows_in_the_background():
    alpha = np.array([0.0, 0.2, 0.45, 0.7, 1.0], np.float32)
    assert label_from_alpha(alpha).tolist() == [0, 0, 128, 255, 255]


def test_composites_label_the_product_exactly_and_are_deterministic(tmp_path):
    cut, bg = _cutout_folder(tmp_path)
    cfg = CompositeCfg(p_blur=0, p_noise=0, p_jpeg=0, max_objects=1)
    pairs = CompositePairs(load_cutouts([cut]), load_backgrounds([bg]), 96, seed=3, cfg=cfg)
    for k in range(20):
        image, label, _ = pairs.sample(k)
        again_image, again_label, _ = pairs.sample(k)
        assert np.array_equal(image, again_image) and np.array_equal(label, again_label)
        assert image.shape == (96, 96, 3) and label.shape == (96, 96)
        assert set(np.unique(label)) <= {0, 128, 255}
        product = label == 255
        assert product.any()
        # Labelled product pixels are the red product (after lighting/temperature shifts).
        red = image[product].astype(int)
        assert np.median(red[:, 0] - red[:, 1]) > 100
    assert not np.array_equal(pairs.sample(0)[0], pairs.sample(1)[0])


def test_letterbox_bars_are_solid_background_and_leave_the_rest_alone(tmp_path):
    cut, bg = _cutout_folder(tmp_path)
    plain = CompositeCfg(p_blur=0, p_noise=0, p_jpeg=0, p_letterbox=0)
    boxed = CompositeCfg(p_blur=0, p_noise=0, p_jpeg=0, p_letterbox=1, letterbox=(0.1, 0.1))
    foregrounds, backgrounds = load_cutouts([cut]), load_backgrounds([bg])
    for k in range(6):
        image, label, _ = CompositePairs(foregrounds, backgrounds, 100, 5, boxed).sample(k)
        base_image, base_label, _ = CompositePairs(foregrounds, backgrounds, 100, 5, plain).sample(
            k
        )
        bars = np.zeros((100, 100), bool)
        rows = [np.ptp(image[i].astype(int), axis=0).max() == 0 for i in (0, 99)]
        cols = [np.ptp(image[:, j].astype(int), axis=0).max() == 0 for j in (0, 99)]
        assert all(rows) or all(cols)  # two opposite sides carry a solid bar
        bars[:10] = bars[-10:] = all(rows)
        bars[:, :10] |= all(cols)
        bars[:, -10:] |= all(cols)
        assert (label[bars] == 0).all()
        # outside the bars the sample is the one without letterbox
        assert np.array_equal(image[~bars], base_image[~bars])
        assert np.array_equal(label[~bars], base_label[~bars])


def test_mixed_samples_follow_the_weight(tmp_path):
    cut, bg = _cutout_folder(tmp_path)
    composite = CompositePairs(load_cutouts([cut]), load_backgrounds([bg]), 32, seed=0)

    class Real:
        seed = 0

        def __len__(self):
            return 10

        def __getitem__(self, k):
            return {"image": None, "target": None, "valid": None}

    mixed = MixedSamples(Real(), composite, 0.3, (0.5,) * 3, (0.25,) * 3)
    synthetic = sum(mixed[k]["image"] is not None for k in range(400))
    assert 80 <= synthetic <= 160  # ~30% of 400
    sample = next(mixed[k] for k in range(400) if mixed[k]["image"] is not None)
    assert sample["image"].shape == (3, 32, 32) and sample["target"].shape == (1, 32, 32)


def test_a_textured_hard_negative_is_the_products_colour_with_the_photos_texture(tmp_path):
    cut, _ = _cutout_folder(tmp_path)
    stripes = np.zeros((80, 80, 3), np.uint8)
    stripes[:, ::8] = 255  # a texture: white lines on black
    (tmp_path / "tex").mkdir()
    Image.fromarray(stripes).save(tmp_path / "tex" / "t.png")
    cfg = CompositeCfg(
        p_blur=0, p_noise=0, p_jpeg=0, p_letterbox=0, max_objects=1, p_contact_shadow=0,
        p_cast_shadow=0, p_hard_negative=1.0, p_hard_texture=1.0,
    )  # fmt: skip
    pairs = CompositePairs(load_cutouts([cut]), load_backgrounds([tmp_path / "tex"]), 96, 1, cfg)
    for k in range(4):
        image, label, _ = pairs.sample(k)
        backdrop = image[label == 0].astype(int)
        assert backdrop.std(axis=0).max() > 20  # textured, not a plain sweep
        lit = backdrop[backdrop.sum(axis=1) > 60]
        assert np.median(lit[:, 0] - lit[:, 2]) > 40  # in the red product's colour
