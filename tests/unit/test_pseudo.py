"""Self-training data: sure pixels labelled, unsure ones ignored, doubtful photos left out."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from skucut.data import pseudo
from tests.conftest import disc_image


class DiscModel:
    """Stands in for a trained model: sure of a disc, unsure of a ring around it."""

    def __init__(self, path, threads=0):
        pass

    def probability(self, rgb, side=None):
        yy, xx = np.mgrid[:64, :64]
        r = np.hypot(yy - 32, xx - 32)
        return np.clip((24 - r) / 2 + 0.5, 0, 1).astype(np.float32)

    @staticmethod
    def postprocess(prob, height, width):
        import cv2

        return cv2.resize(prob, (width, height), interpolation=cv2.INTER_LINEAR)


def test_sure_pixels_are_labelled_and_the_rest_ignored(tmp_path, monkeypatch):
    monkeypatch.setattr(pseudo, "Segmenter", DiscModel)
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(disc_image(64)[0]).save(photos / "a.png")
    report = pseudo.pseudo_label("model.onnx", photos, tmp_path / "out")
    assert report.written == 1 and report.skipped == {}
    mask = np.asarray(Image.open(tmp_path / "out" / "masks" / "a.png"))
    assert mask[32, 32] == 255 and mask[0, 0] == 0 and mask[32, 32 + 24] == 128


def test_views_must_agree_and_the_studio_backdrop_vetoes():
    views = np.stack([np.full((4, 4), 0.95), np.full((4, 4), 0.95)])
    views[1, 0, 0] = 0.5  # one view unsure
    views[:, 3, 3] = 0.02  # all sure of background
    label = pseudo.agreed_label(views, 0.9)
    assert label[1, 1] == 255 and label[0, 0] == 128 and label[3, 3] == 0
    backdrop = np.zeros((4, 4), bool)
    backdrop[1, 1] = True  # backdrop-coloured and reached from the border: not sure product
    far = np.zeros((4, 4), bool)
    far[3, 3] = True  # far from the backdrop colour: not sure background
    label = pseudo.agreed_label(views, 0.9, (backdrop, far))
    assert label[1, 1] == 128 and label[3, 3] == 128 and label[2, 2] == 255
    views[:, 0, 1] = (0.3, 0.6)  # leaning to background, not sure: a gap between arm and body
    backdrop[0, 1] = True
    assert pseudo.agreed_label(views, 0.9, (backdrop, far))[0, 1] == 0
    views[:, 0, 1] = (0.6, 0.7)  # leaning to product (white on white): stays unknown
    assert pseudo.agreed_label(views, 0.9, (backdrop, far))[0, 1] == 128


def test_a_studio_photo_has_a_backdrop_and_a_scene_has_none():
    photo = np.full((60, 60, 3), 245, np.uint8)
    photo[20:40, 20:40] = (200, 30, 30)  # a red product
    photo[25:35, 25:35] = 245  # a white patch inside it: enclosed, not backdrop
    backdrop, far = pseudo.studio_backdrop(photo)
    assert backdrop[0, 0] and not backdrop[30, 30] and not backdrop[22, 22]
    assert far[22, 22] and not far[0, 0]
    scene = np.random.default_rng(0).integers(0, 255, (60, 60, 3), dtype=np.uint8)
    assert pseudo.studio_backdrop(scene) is None


def test_doubtful_photos_are_left_out(tmp_path, tiny_model):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(disc_image(64)[0]).save(photos / "a.png")
    report = pseudo.pseudo_label(tiny_model, photos, tmp_path / "out")  # finds nothing
    assert report.written == 0 and "empty cutout" in report.skipped["a.png"]
    assert not list((tmp_path / "out" / "masks").iterdir())


def test_an_eval_set_is_refused(tmp_path, tiny_model):
    (tmp_path / "eval" / "products-dev").mkdir(parents=True)
    with pytest.raises(ValueError, match="eval set"):
        pseudo.pseudo_label(tiny_model, tmp_path / "eval" / "products-dev", tmp_path / "out")
