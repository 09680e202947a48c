import io

import numpy as np
import pytest
from PIL import Image

from skucut.io import encode_cutout, encode_mask
from skucut.io.encode import parse_color


def _half_transparent():
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[...] = (200, 100, 50)
    alpha = np.full((4, 4), 128, np.uint8)
    return rgb, alpha


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_straight_alpha_keeps_colour(fmt):
    rgb, alpha = _half_transparent()
    out = np.asarray(Image.open(io.BytesIO(encode_cutout(rgb, alpha, fmt))).convert("RGBA"))
    # Premultiplying would give (100, 50, 25); straight alpha keeps the colour (WebP is lossy).
    tolerance = 0 if fmt == "png" else 3
    assert np.abs(out[1, 1].astype(int) - (200, 100, 50, 128)).max() <= tolerance


def test_jpeg_is_flattened_on_colour():
    rgb, alpha = _half_transparent()
    out = np.asarray(Image.open(io.BytesIO(encode_cutout(rgb, alpha, "jpg", (0, 0, 255)))))
    assert out.shape == (4, 4, 3)
    assert np.abs(out[1, 1].astype(int) - (100, 50, 155)).max() <= 4


def test_bg_color_png_is_rgb():
    rgb, alpha = _half_transparent()
    image = Image.open(io.BytesIO(encode_cutout(rgb, alpha, "png", (255, 255, 255))))
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (227, 177, 152)


def test_mask_is_single_channel_png():
    alpha = np.arange(16, dtype=np.uint8).reshape(4, 4) * 16
    image = Image.open(io.BytesIO(encode_mask(alpha)))
    assert image.format == "PNG" and image.mode == "L"
    assert (np.asarray(image) == alpha).all()


@pytest.mark.parametrize(
    "text,expected",
    [
        ("white", (255, 255, 255)),
        ("#102030", (16, 32, 48)),
        ("f00", (255, 0, 0)),
        ("1,2,3", (1, 2, 3)),
    ],
)
def test_parse_color(text, expected):
    assert parse_color(text) == expected


def test_parse_color_rejects_garbage():
    with pytest.raises(ValueError, match="not a colour"):
        parse_color("not-a-colour")
