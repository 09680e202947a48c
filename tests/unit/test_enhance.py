"""Photo enhancement measured on the backdrop (skucut.enhance), on generated photos with known
truth: a cast photo is corrected, a clean or coloured one is left exactly as it was."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from skucut.enhance import (
    _LOCUS_K,
    _LOCUS_RGB,
    STEPS,
    TO_LINEAR,
    Enhancement,
    enhance_photo,
    enhance_steps,
    parse_enhance,
    sharpen_cutout,
    to_srgb,
)

AUTO = frozenset(STEPS)


def studio_photo(backdrop=(238, 238, 238), size: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Colour patches (a small colour chart) on a plain backdrop, and the chart's alpha."""
    rgb = np.empty((size, size, 3), np.uint8)
    rgb[:] = backdrop
    patches = [(200, 40, 40), (40, 160, 60), (50, 70, 190), (220, 200, 60),
               (120, 120, 120), (200, 150, 120), (30, 30, 30), (180, 90, 170), (90, 190, 200)]  # fmt: skip
    alpha = np.zeros((size, size), np.uint8)
    side = size // 7
    for i, colour in enumerate(patches):
        y, x = 2 * side + (i // 3) * side, 2 * side + (i % 3) * side
        rgb[y : y + side, x : x + side] = colour
        alpha[y : y + side, x : x + side] = 255
    return rgb, alpha


def with_cast(rgb: np.ndarray, kelvin: float, ev: float) -> np.ndarray:
    """The photo under a Planckian light of ``kelvin`` (camera balanced for D65), ``ev``
    stops off, clipped and quantised as a camera would."""
    light = _LOCUS_RGB[np.argmin(np.abs(_LOCUS_K - kelvin))]
    light = light / (light @ [0.2126, 0.7152, 0.0722])
    linear = TO_LINEAR[rgb] * light * 2.0**ev
    return np.round(to_srgb(linear) * 255).astype(np.uint8)


def product_error(a: np.ndarray, b: np.ndarray, alpha: np.ndarray) -> float:
    """Mean absolute difference of the product's pixels, in 8-bit levels."""
    inside = cv2.erode(alpha, np.ones((5, 5), np.uint8)) > 0
    return float(np.abs(a[inside].astype(float) - b[inside]).mean())


@pytest.mark.parametrize("kelvin, ev", [(3000, -1.0), (8000, -0.5), (4000, 0.0)])
def test_a_cast_photo_gets_corrected(kelvin, ev):
    truth, alpha = studio_photo()
    photo = with_cast(truth, kelvin, ev)
    before = product_error(photo, truth, alpha)
    out, report = enhance_photo(photo, alpha, AUTO)
    after = product_error(out, truth, alpha)
    assert after < 0.4 * before, (before, after, report)
    assert report.changed and report.note == ""
    assert abs(report.illuminant_k - kelvin) < 0.15 * kelvin
    if ev < 0:
        assert abs(report.exposure_ev + ev) < 0.3, report
    if photo[5:20, 5:20].max() < 250:  # (a clipped channel stays wrong on the backdrop)
        backdrop = out[5:20, 5:20].reshape(-1, 3).astype(float).mean(0)
        assert np.ptp(backdrop) < 3, backdrop  # the backdrop is grey again


def test_a_warm_cast_that_clips_red_on_the_backdrop_is_still_corrected():
    truth, alpha = studio_photo(backdrop=(245, 245, 245))
    photo = with_cast(truth, 2700, 0.0)
    assert (photo[5:20, 5:20, 0] == 255).all()  # red is clipped on the backdrop
    out, report = enhance_photo(photo, alpha, AUTO)
    assert product_error(out, truth, alpha) < 0.5 * product_error(photo, truth, alpha)
    assert 2300 < report.illuminant_k < 3100, report


@pytest.mark.parametrize(
    "backdrop", [(240, 190, 200), (190, 230, 200), (150, 200, 240), (200, 40, 45), (60, 60, 60)]
)
def test_a_coloured_or_dark_backdrop_is_left_alone(backdrop):
    photo, alpha = studio_photo(backdrop=backdrop)
    out, report = enhance_photo(photo, alpha, AUTO)
    assert np.array_equal(out, photo)
    assert not report.changed
    assert "left alone" in report.note and ("coloured" in report.note or "dark" in report.note)


def test_a_photo_that_needs_nothing_is_unchanged():
    photo, alpha = studio_photo(backdrop=(236, 236, 236))
    out, report = enhance_photo(photo, alpha, AUTO)
    assert np.array_equal(out, photo)
    assert not report.changed and report.summary() == "unchanged"


def test_a_textured_backdrop_is_left_alone_and_its_texture_is_not_noise():
    photo, alpha = studio_photo()
    xx = np.mgrid[: photo.shape[0], : photo.shape[1]][1]
    stripes = (np.sin(xx / 2.0) * 40 + 150).astype(np.uint8)
    photo[alpha == 0] = np.stack([stripes, stripes - 30, stripes - 60], -1)[alpha == 0]
    out, report = enhance_photo(photo, alpha, AUTO)
    assert np.array_equal(out, photo)
    assert "not plain" in report.note and report.noise is None


def test_noise_measured_on_the_backdrop_is_reduced_on_the_product():
    truth, alpha = studio_photo()
    rng = np.random.default_rng(0)
    photo = np.clip(truth + rng.normal(0, 6, truth.shape), 0, 255).astype(np.uint8)
    out, report = enhance_photo(photo, alpha, frozenset({"denoise"}))
    assert report.denoised and 4 < report.noise < 8, report
    assert product_error(out, truth, alpha) < 0.7 * product_error(photo, truth, alpha)
    clean, report = enhance_photo(truth, alpha, frozenset({"denoise"}))
    assert not report.denoised and np.array_equal(clean, truth)


def test_each_step_can_be_turned_off():
    truth, alpha = studio_photo()
    photo = with_cast(truth, 3000, -1.0)
    out, report = enhance_photo(photo, alpha, frozenset({"exposure"}))
    assert report.wb_gains == (1.0, 1.0, 1.0) and report.exposure_ev > 0.5
    out, report = enhance_photo(photo, alpha, frozenset({"wb"}))
    assert report.wb_gains != (1.0, 1.0, 1.0) and report.exposure_ev == 0
    out, report = enhance_photo(photo, alpha, frozenset())
    assert np.array_equal(out, photo) and not report.changed


def test_sharpen_adds_contrast_only_inside_the_product():
    rgb = np.full((40, 40, 3), 100, np.uint8)
    rgb[:, 20:] = 160
    alpha = np.zeros((40, 40), np.uint8)
    alpha[:, 10:] = 255
    out = sharpen_cutout(rgb, alpha, 2, 0.5)
    assert out[5, 19, 0] < 100 and out[5, 20, 0] > 160  # overshoot on both sides of the edge
    assert np.array_equal(out[:, :10], rgb[:, :10])
    assert np.array_equal(sharpen_cutout(rgb, alpha, 2, 0.0), rgb)


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("auto", "auto"),
        ("OFF", "off"),
        ("sharpen, wb", "wb,sharpen"),
        ("denoise,sharpen,exposure,wb", "auto"),
    ],
)
def test_enhance_values(given, canonical):
    assert parse_enhance(given) == canonical
    assert enhance_steps(given) <= AUTO


@pytest.mark.parametrize("bad", ["bogus", "wb,contrast", "auto,wb", "1.5"])
def test_bad_enhance_values_say_what_is_valid(bad):
    with pytest.raises(ValueError, match="choose auto, off, or a comma list of wb, exposure"):
        parse_enhance(bad)


def test_the_report_survives_its_dict():
    report = Enhancement(STEPS, "x", 3100.0, (0.6, 1.1, 2.5), 0.8, 3.2, True, 0.5)
    again = Enhancement.from_dict(report.as_dict())
    assert again.summary() == report.summary() and again.changed


def test_a_backdrop_of_several_colours_is_left_alone_and_not_denoised():
    photo, alpha = studio_photo()
    colours = np.array([(240, 190, 200), (190, 230, 200), (150, 200, 240), (245, 225, 120)])
    bands = colours[(np.arange(photo.shape[1]) // 25) % 4]  # wide plain bands of four colours
    photo[alpha == 0] = np.broadcast_to(bands, photo.shape)[alpha == 0]
    rng = np.random.default_rng(1)
    noisy = np.clip(photo + rng.normal(0, 5, photo.shape), 0, 255).astype(np.uint8)
    out, report = enhance_photo(noisy, alpha, AUTO)
    assert np.array_equal(out, noisy)
    assert "several colours" in report.note and report.noise is None and not report.denoised
