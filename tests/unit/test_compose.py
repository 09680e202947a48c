"""Composition geometry (exact pixels), straight alpha, shadows, backgrounds and presets."""

import numpy as np
import pytest

from skucut.compose import ComposeOptions, compose, product_box
from skucut.pipeline import RemoveOptions
from skucut.presets import BUILTIN, get_preset, load_presets

RED = (200, 20, 20)


def _product(width=100, height=80, box=(30, 20, 50, 30)):
    """An opaque red rectangle x0:x1, y0:y1 on a transparent frame."""
    x0, y0, x1, y1 = box
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:] = (0, 255, 0)  # colour under alpha 0 must never show
    alpha = np.zeros((height, width), np.uint8)
    rgb[y0:y1, x0:x1], alpha[y0:y1, x0:x1] = RED, 255
    return rgb, alpha


def test_trim_with_pixel_and_percent_margin():
    rgb, alpha = _product()
    out, a = compose(rgb, alpha, ComposeOptions(trim=True, margin=5))
    assert out.shape == (20, 30, 3)  # 10x20 product + 5 px each side
    assert (a[5:15, 5:25] == 255).all() and a.sum() == 255 * 200
    assert (out[5:15, 5:25] == RED).all()
    _, a = compose(rgb, alpha, ComposeOptions(trim=True, margin="10%"))  # 10% of 20 px = 2
    assert a.shape == (14, 24)


def test_canvas_centres_and_scales_the_product_exactly():
    rgb, alpha = _product()  # 20 x 10 product
    options = ComposeOptions(canvas=(200, 100), fill=0.5, bg_color=(255, 255, 255))
    out, a = compose(rgb, alpha, options)
    assert a is None and out.shape == (100, 200, 3)
    # scale = 0.5 * min(200/20, 100/10) = 5 -> 100 x 50 at (50, 25)
    assert (out[25:75, 50:150] == RED).all()
    assert (out[:25] == 255).all() and (out[75:] == 255).all()
    assert (out[:, :50] == 255).all() and (out[:, 150:] == 255).all()


def test_bottom_alignment_puts_the_product_on_a_baseline():
    rgb, alpha = _product(box=(10, 10, 50, 20))  # 40 x 10, wide
    centred = compose(rgb, alpha, ComposeOptions(canvas=(100, 100), fill=0.5))[1]
    bottom = compose(rgb, alpha, ComposeOptions(canvas=(100, 100), fill=0.5, align="bottom"))[1]
    # scale 1.25 -> 50 x 12; centred top 44; bottom: 100 - 12 - 25 margin = 63
    assert product_box(centred) == (25, 44, 75, 56)
    assert product_box(bottom) == (25, 63, 75, 75)


def test_transparent_output_keeps_straight_alpha():
    rgb, alpha = _product()
    alpha[20:30, 30:40] = 128  # half-transparent left half keeps its full colour
    out, a = compose(rgb, alpha, ComposeOptions(canvas=(40, 20), fill=1.0))
    assert a is not None and a[10, 5] == 128 and tuple(out[10, 5]) == RED


def test_shadows_darken_the_floor_but_never_the_product():
    rgb, alpha = _product()
    for kind in ("contact", "drop"):
        options = ComposeOptions(canvas=(200, 200), fill=0.6, bg_color=(255, 255, 255), shadow=kind)
        out, _ = compose(rgb, alpha, options)
        box = product_box(compose(rgb, alpha, ComposeOptions(canvas=(200, 200), fill=0.6))[1])
        x0, y0, x1, y1 = box
        assert (out[y0:y1, x0:x1] == RED).all()
        below = out[y1 : y1 + 8, (x0 + x1) // 2]
        assert below.min() < 245, kind  # a visible shadow right under the product
        assert (out[:5, :5] == 255).all()  # far corners stay pure white


def test_background_image_fill_and_fit():
    rgb, alpha = _product()
    bg = np.zeros((50, 100, 3), np.uint8)
    bg[:, :50] = (0, 0, 255)
    filled, _ = compose(rgb, alpha, ComposeOptions(canvas=(100, 100), fill=0.1, bg_image=bg))
    assert tuple(filled[50, 0]) == (0, 0, 255) and tuple(filled[50, 99]) == (0, 0, 0)
    fitted, _ = compose(
        rgb, alpha, ComposeOptions(canvas=(100, 100), fill=0.1, bg_image=bg, bg_fit="fit")
    )
    assert tuple(fitted[0, 0]) == (255, 255, 255)  # padded where the photo does not reach
    assert tuple(fitted[50, 0]) == (0, 0, 255)


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_every_preset_builds_and_composes(name):
    options = RemoveOptions.build(name)
    rgb, alpha = _product()
    out, a = compose(rgb, alpha, options.compose_options(None))
    if options.canvas:
        assert out.shape[:2] == options.canvas[::-1]
    if options.bg_color:
        assert a is None and tuple(out[0, 0]) == options.bg_color
    else:
        assert a is not None and a.max() == 255  # transparent output, product opaque
    assert (out == RED).all(axis=-1).any()  # the product is in the picture


def test_explicit_options_override_the_preset_and_bad_ones_are_refused(tmp_path):
    options = RemoveOptions.build("white-main", format="png", canvas="800x600")
    assert options.format == "png" and options.canvas == (800, 600)
    assert options.bg_color == (255, 255, 255) and options.fill == 0.85
    with pytest.raises(ValueError, match="unknown preset"):
        RemoveOptions.build("nope")
    with pytest.raises(ValueError, match="shadow"):
        RemoveOptions(shadow="hard")
    with pytest.raises(ValueError, match="margin"):
        RemoveOptions(margin="abc")
    (tmp_path / "p.toml").write_text('[amazon]\nbg_color = "white"\ncanvas = [1000, 1000]\n')
    custom = RemoveOptions.build("amazon", tmp_path / "p.toml")
    assert custom.canvas == (1000, 1000)
    assert get_preset("amazon", load_presets(tmp_path / "p.toml"))["bg_color"] == "white"
    (tmp_path / "bad.toml").write_text("[x]\ncolour = 1\n")
    with pytest.raises(ValueError, match="unknown options: colour"):
        RemoveOptions.build("x", tmp_path / "bad.toml")
