"""Edge refinement, mask clean-up and foreground colour decontamination on generated images."""

import cv2
import numpy as np

from skucut.metrics.measures import iou
from skucut.refine import estimate_foreground, refine_alpha
from skucut.refine.cleanup import fill_false_holes
from skucut.refine.guided import apply_coefficients, guided_coefficients
from skucut.refine.product import keep_product

BG, PRODUCT = (200, 200, 200), (180, 30, 30)


def _disc(size, radius, centre=None):
    yy, xx = np.mgrid[:size, :size]
    cy, cx = centre or (size / 2, size / 2)
    return ((yy - cy) ** 2 + (xx - cx) ** 2 < radius**2).astype(np.float32)


def _paint(mask, fg=PRODUCT, bg=BG):
    return np.where(mask[..., None] > 0.5, fg, bg).astype(np.uint8)


def test_decontamination_removes_green_from_edges():
    h, w = 300, 400
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    fg = np.stack(
        [200 + 40 * np.sin(xx / 40), 120 + 30 * np.cos(yy / 30), 60 + 20 * np.sin((xx + yy) / 50)],
        -1,
    )
    alpha = np.clip((110 - np.hypot(xx - 200, yy - 150)) / 15, 0, 1)  # a 15 px soft edge
    green = np.array([0, 255, 0], np.float32)
    observed = np.round(alpha[..., None] * fg + (1 - alpha[..., None]) * green).astype(np.uint8)
    alpha = np.round(alpha * 255).astype(np.uint8)
    band = (alpha > 12) & (alpha < 243)
    estimated = estimate_foreground(observed, alpha)
    before = np.abs(observed[band] - fg[band]).mean()
    after = np.abs(estimated[band] - fg[band]).mean()
    assert after * 3 < before, (before, after)
    # Opaque pixels are never touched.
    assert np.array_equal(estimated[alpha == 255], observed[alpha == 255])


def test_ring_keeps_its_hole_and_solid_object_gets_filled():
    size = 200
    ring = _disc(size, 70) - _disc(size, 30)
    # The image shows the background through the ring's hole: a real hole, kept.
    kept = fill_false_holes(ring, _paint(ring))
    assert kept[100, 100] == 0.0
    # A solid disc where the model missed a patch in the middle: the patch shows the product.
    solid = _disc(size, 70)
    predicted = solid - _disc(size, 30)
    filled = fill_false_holes(predicted, _paint(solid))
    assert filled[100, 100] == 1.0 and filled[5, 5] == 0.0


def test_small_islands_are_dropped_big_ones_kept():
    prob = _disc(200, 60, (100, 70)) + _disc(200, 50, (100, 140))  # two products, side by side
    prob[5:8, 5:8] = 1.0  # a 9-pixel speck
    prob = np.clip(prob, 0, 1)
    out = keep_product(prob, prob)
    assert out[6, 6] == 0.0 and out[100, 70] == 1.0 and out[100, 140] == 1.0


def test_guided_filter_carries_a_working_resolution_mask_to_full_resolution():
    size = 1024
    truth = _disc(size, 300)
    image = _paint(truth)
    work = (cv2.resize(truth, (128, 128), interpolation=cv2.INTER_AREA) > 0.5).astype(np.float32)
    small = cv2.resize(image, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    a, b = guided_coefficients(small, work, 2, 1e-3)
    guided = apply_coefficients(a, b, image)
    bilinear = cv2.resize(work, (size, size), interpolation=cv2.INTER_LINEAR)
    assert np.abs(guided - truth).mean() < 0.5 * np.abs(bilinear - truth).mean()


def test_refine_fixes_a_misplaced_outline_and_keeps_the_size():
    size = 300
    truth = _disc(size, 90)
    rgb = _paint(truth)
    rng = np.random.default_rng(0)
    rgb = np.clip(rgb + rng.integers(-10, 10, rgb.shape), 0, 255).astype(np.uint8)
    # A model's outline off by 10 px, and unsure over about that width (as models are there)
    soft = cv2.GaussianBlur(_disc(size, 90, (160, 160)).astype(np.float32), (0, 0), 6)
    shifted = cv2.resize(soft, (48, 48), interpolation=cv2.INTER_AREA)
    plain = refine_alpha(rgb, shifted, "none")
    refined = refine_alpha(rgb, shifted, "fast")
    assert refined.shape == truth.shape and refined.dtype == np.float32
    assert iou(refined, truth * 255) > iou(plain, truth * 255) + 0.05
    assert iou(refined, truth * 255) > 0.97


def test_the_graph_cut_does_not_undo_what_the_model_is_sure_of():
    """A face as beige as the wall behind it, wholly inside the re-decided band of a small head:
    colour alone would cut it out; the model is sure of it, so it stays."""
    size = 512
    wall = np.array([225, 200, 170], np.uint8)
    rgb = np.tile(wall, (size, size, 1))
    head = _disc(size, 28, (110, 256))  # centre (y, x)
    body = np.zeros((size, size), np.float32)
    body[160:, 150:362] = 1.0
    rgb[body > 0] = (200, 30, 40)  # a red sweater
    face = _disc(size, 22, (114, 256)) > 0
    rgb[(head > 0) & ~face] = (40, 30, 25)  # dark hair around a face of the wall's colour
    rng = np.random.default_rng(0)
    rgb = np.clip(rgb.astype(np.int16) + rng.integers(-6, 6, rgb.shape), 0, 255).astype(np.uint8)
    prob = cv2.GaussianBlur(np.maximum(head, body), (0, 0), 1.5)  # unsure only at the outline
    refined = refine_alpha(rgb, prob, "fast", cleanup=False)
    assert refined[face].mean() > 0.95
    assert refined[400, 256] > 0.95 and refined[20, 20] < 0.05


def test_band_limits_match_an_erosion_by_a_disc():
    """The graph cut's sure regions (a distance transform) are an erosion by a disc, up to the
    disc's pixel rounding, and the frame's edge does not erode them."""
    import cv2

    from skucut.refine.band import _farther_than

    mask = (_disc(240, 80, (120, 100)) + _disc(240, 50, (40, 200))).clip(0, 1).astype(np.uint8)
    mask[:, :30] = 1  # touches the frame's left edge
    radius = 20
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    for inside in (mask, 1 - mask):
        eroded = cv2.erode(inside, disc) > 0
        assert (_farther_than(radius, inside) != eroded).mean() < 0.005
    assert _farther_than(radius, mask)[120, 0]  # the left edge stays sure foreground
