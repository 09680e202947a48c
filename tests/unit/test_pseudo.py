"""Self-training data: sure pixels labelled, unsure ones ignored, doubtful photos left out."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from skucut.data import pseudo
from tests.conftest import disc_image


class DiscModel:
    """Stands in for a trained model: sure of a disc, unsure of a ring around it."""

    def __init__(self, path):
        pass

    def probability(self, rgb):
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
