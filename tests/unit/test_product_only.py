"""Issue 16: keep the product and drop the rest, holes both ways, edge-cropped products, and
the review of each cutout."""

from __future__ import annotations

import cv2
import numpy as np

from skucut.compose import ComposeOptions, compose, product_box
from skucut.refine.cleanup import clean_mask
from skucut.refine.person import remove_person
from skucut.review import review_cutout

SIZE = 200
WHITE, GREY, RED = (250, 250, 250), (90, 90, 95), (200, 40, 40)


def _disc(centre, radius, size=SIZE) -> np.ndarray:
    out = np.zeros((size, size), np.float32)
    cv2.circle(out, centre, radius, 1.0, -1)
    return out


def _photo(mask: np.ndarray, colour, backdrop=WHITE) -> np.ndarray:
    rgb = np.empty((*mask.shape, 3), np.uint8)
    rgb[:] = backdrop
    rgb[mask > 0.5] = colour
    return rgb


def test_a_badge_is_dropped_and_the_product_framed_centred():
    product = _disc((120, 110), 50)
    badge = np.zeros_like(product)
    badge[8:28, 6:60] = 1.0  # "TOP REVIEWED" in the corner, 1/7 of the product's area
    prob = np.maximum(product, badge * 0.6)  # the model is unsure of the badge
    rgb = _photo(product, RED)
    rgb[badge > 0] = (20, 120, 20)
    mask = clean_mask(prob, rgb, prob)
    assert mask[18, 30] == 0 and mask[110, 120] == 1
    alpha = (mask * 255).astype(np.uint8)
    out, _ = compose(rgb, alpha, ComposeOptions(canvas=(400, 400), fill=0.5, bg_color=WHITE))
    x0, y0, x1, y1 = product_box(
        (np.abs(out.astype(int) - WHITE).sum(axis=2) > 30).astype(np.uint8) * 255
    )
    assert abs((x0 + x1) / 2 - 200) <= 2 and abs((y0 + y1) / 2 - 200) <= 2


def test_a_second_product_is_kept():
    left, right = _disc((55, 100), 40), _disc((150, 100), 35)
    prob = np.maximum(left, right)
    mask = clean_mask(prob, _photo(prob, RED), prob)
    assert mask[100, 55] == 1 and mask[100, 150] == 1


def test_a_ring_keeps_its_hole_where_the_backdrop_shows():
    ring = _disc((100, 100), 70) - _disc((100, 100), 35)
    prob = np.maximum(ring, _disc((100, 100), 35) * 0.4)  # the model calls the hole background
    rgb = _photo(ring, (200, 160, 40))  # gold ring, white backdrop seen through its hole
    filled = (_disc((100, 100), 70) > 0).astype(np.float32)  # ... but the edge step filled it
    mask = clean_mask(filled, rgb, prob)
    assert mask[100, 100] == 0 and mask[100, 40] == 1


def test_white_print_on_a_white_tee_is_never_punched():
    tee = _disc((100, 100), 80)
    print_ = _disc((100, 100), 25)
    for tee_colour, print_prob in (((40, 60, 160), 0.95), (WHITE, 0.7)):
        rgb = _photo(tee, tee_colour)
        rgb[print_ > 0] = WHITE  # the print has the backdrop's colour
        prob = np.where(print_ > 0, print_prob, tee).astype(np.float32)
        mask = clean_mask((prob > 0.5).astype(np.float32), rgb, prob)
        assert mask[100, 100] == 1, tee_colour  # sure product, or product all around it


def test_an_edge_cropped_product_is_anchored_to_that_edge():
    alpha = np.zeros((300, 200), np.uint8)
    alpha[120:, 50:150] = 255  # a garment cut by the photo's bottom edge
    rgb = _photo(alpha / 255, GREY)
    _, out_alpha = compose(rgb, alpha, ComposeOptions(canvas=(500, 500), fill=0.8))
    x0, _, x1, y1 = product_box(out_alpha)
    assert y1 == 500 and abs((x0 + x1) / 2 - 250) <= 1  # on the bottom edge, centred across
    _, trimmed = compose(rgb, alpha, ComposeOptions(trim=True, margin=20))
    assert trimmed.shape == (180 + 20, 100 + 40) and trimmed[-1].max() == 255  # no margin below


def test_empty_and_tiny_cutouts_need_review():
    empty = review_cutout(np.zeros((64, 64), np.float32), np.zeros((300, 300), np.uint8))
    assert empty.needs_review and "empty" in empty.reason
    tiny = np.zeros((300, 300), np.uint8)
    tiny[10:14, 10:14] = 255
    prob = np.zeros((64, 64), np.float32)
    prob[2:3, 2:3] = 1.0
    review = review_cutout(prob, tiny)
    assert review.needs_review and review.reason.startswith("tiny product (")


def test_confidence_is_low_for_a_hazy_prediction_and_high_for_a_crisp_one():
    crisp = _disc((100, 100), 60)
    hazy = cv2.GaussianBlur(crisp, (0, 0), 25) * 0.9
    assert review_cutout(crisp, crisp).confidence > 0.95
    hazy_review = review_cutout(hazy, (hazy > 0.5).astype(np.float32))
    assert hazy_review.confidence < 0.5 and hazy_review.needs_review


def test_what_the_person_map_missed_above_a_removed_face_goes_and_other_parts_stay():
    alpha = np.zeros((100, 100), np.float32)
    alpha[40:100, 20:80] = 1  # the garment
    alpha[15:40, 40:60] = 1  # the face, which the person map finds
    alpha[5:15, 40:60] = 1  # short hair above it, which it misses
    alpha[50:55, 90:95] = 1  # a small part of the product of its own (an earring)
    person = np.zeros((100, 100), np.float32)
    person[15:40, 40:60] = 1
    out = remove_person(alpha, person)
    assert out[20, 50] == 0 and out[10, 50] == 0  # face and the hair left hanging: gone
    assert out[60, 50] == 1 and out[52, 92] == 1  # garment and the separate part: kept
