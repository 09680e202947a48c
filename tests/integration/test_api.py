"""The Python API on every input type, and the existing-alpha rule."""

import io

import numpy as np
import pytest
from PIL import Image

import skucut
from tests.conftest import disc_image


@pytest.fixture
def photo():
    rgb, _ = disc_image(64, seed=5)
    return rgb


def _inputs(rgb, tmp_path):
    path = tmp_path / "p.png"
    Image.fromarray(rgb).save(path)
    return [str(path), path, path.read_bytes(), Image.fromarray(rgb), rgb]


def test_remove_accepts_every_input_type(photo, tmp_path, tiny_model):
    results = [skucut.remove(x, model=str(tiny_model)) for x in _inputs(photo, tmp_path)]
    first = np.asarray(results[0])
    for image in results:
        assert image.mode == "RGBA" and image.size == (64, 64)
        assert np.array_equal(np.asarray(image), first)
    assert np.array_equal(first[..., :3], photo)  # colours untouched (straight alpha)


def test_existing_alpha_caps_the_output(photo, tiny_model):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 90, np.uint8)])
    alpha = np.asarray(skucut.remove(rgba, model=str(tiny_model)))[..., 3]
    assert alpha.max() <= 90


def test_mask_and_bg_color(photo, tiny_model):
    mask = skucut.remove(photo, model=str(tiny_model), mask=True)
    assert mask.mode == "L" and mask.size == (64, 64)
    flat = skucut.remove(photo, model=str(tiny_model), bg_color="#00ff00")
    assert flat.mode == "RGB"


def test_bad_inputs_raise_domain_errors(tiny_model):
    with pytest.raises(skucut.InvalidImage):
        skucut.remove(b"garbage", model=str(tiny_model))
    with pytest.raises(skucut.InvalidImage, match="uint8"):
        skucut.remove(np.zeros((4, 4), np.float32), model=str(tiny_model))
    with pytest.raises(skucut.ImageTooLarge):
        skucut.remove(_png(100, 100), model=str(tiny_model), max_pixels=50)


def _png(w, h):
    buf = io.BytesIO()
    Image.new("RGB", (w, h)).save(buf, "PNG")
    return buf.getvalue()


def test_load_model_is_cached(tiny_model):
    assert skucut.load_model(str(tiny_model)) is skucut.load_model(str(tiny_model))


def test_pil_cmyk_input_is_converted(tiny_model):
    cmyk = Image.new("CMYK", (24, 24), (0, 255, 255, 0))  # red ink mix
    out = np.asarray(skucut.remove(cmyk, model=str(tiny_model)))
    assert out.shape == (24, 24, 4)
    r, g, b = out[12, 12, :3].astype(int)
    assert r > 200 and g < 60 and b < 60
