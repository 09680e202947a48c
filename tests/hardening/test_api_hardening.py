"""Issue 17 item 9: the Python API refuses bad input with clear errors, never a raw one."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import skucut
from skucut.io.decode import decode_image
from tests.conftest import disc_image


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"canvas": (1, 2, 3)}, "two whole numbers"),
        ({"bg_color": (1, 2)}, "three whole numbers"),
        ({"bg_color": (999, 0, 0)}, "three whole numbers"),
        ({"format": 1}, "format must be text"),
        ({"fill": "big"}, "fill must be a number"),
        ({"margin": float("inf"), "trim": True}, "margin must be between"),
        ({"no_such_option": 1}, "unknown option"),
        ({"mask": True, "preset": "white-main"}, "mask gives the alpha channel only"),
        ({"mask": "true", "canvas": "300x300"}, "cannot be combined with canvas"),
    ],
)
def test_bad_options_raise_value_error(tiny_model, kwargs, words):
    with pytest.raises(ValueError, match=words):
        skucut.remove(np.zeros((32, 32, 3), np.uint8), model=str(tiny_model), **kwargs)


def test_arrays_are_checked_like_files(tiny_model):
    with pytest.raises(skucut.InvalidImage, match="empty"):
        skucut.remove(np.zeros((0, 0, 3), np.uint8), model=str(tiny_model))
    with pytest.raises(skucut.ImageTooLarge, match="limit is 10,000"):
        skucut.remove(np.zeros((200, 200, 3), np.uint8), model=str(tiny_model), max_pixels=10_000)


def test_an_hsv_image_is_converted_not_refused(tiny_model):
    rgb = np.zeros((32, 32, 3), np.uint8)
    rgb[8:24, 8:24] = (230, 200, 60)
    hsv = Image.fromarray(rgb).convert("HSV")
    out = skucut.remove(hsv, model=str(tiny_model), mask=True)
    assert out.mode == "L" and out.size == (32, 32)


def test_text_options_are_coerced_as_from_a_manifest(tiny_model):
    opts = skucut.RemoveOptions(quality="90", fill="0.5", mask="false", trim="yes")
    assert (opts.quality, opts.fill, opts.mask, opts.trim) == (90, 0.5, False, True)


def test_only_allowed_formats_are_even_opened():
    """Item 17: an EPS used to reach Pillow's Ghostscript plugin."""
    eps = io.BytesIO()
    Image.new("RGB", (8, 8)).save(eps, "EPS")
    with pytest.raises(skucut.InvalidImage, match="accepted: JPEG, PNG"):
        decode_image(eps.getvalue())


def test_a_trim_too_big_for_the_limit_fails_before_allocating():
    """Item 13: a 5000 px margin on a small photo used to produce a 106 MP PNG."""
    rgb, _ = disc_image(64, seed=3)  # a product clear of the photo's edges: margins apply
    with pytest.raises(skucut.ImageTooLarge, match="smaller margin"):
        skucut.remove(rgb, model="skucut-fast-v1", trim=True, margin=5000, max_pixels=1_000_000)


def test_the_bomb_message_quotes_skucuts_limit():
    """Item 18: it used to quote Pillow's 178,956,970-pixel figure."""
    big = io.BytesIO()
    Image.new("1", (20000, 10000)).save(big, "PNG")  # 200 MP, a few KB
    with pytest.raises(skucut.ImageTooLarge) as info:
        decode_image(big.getvalue())
    assert "50,000,000" in str(info.value) and "178" not in str(info.value)
