import numpy as np
import pytest

from skucut.errors import ProviderUnavailable
from skucut.metrics import boundary_f1, iou, mae, sod_measures
from skucut.runtime import Segmenter, create_session


def test_missing_provider_is_an_error_not_a_fallback(tiny_model):
    with pytest.raises(ProviderUnavailable, match="CUDAExecutionProvider"):
        create_session(tiny_model, providers=["CUDAExecutionProvider"])


def test_prediction_is_not_stretched(tiny_model):
    seg = Segmenter(tiny_model)
    flat = np.full((50, 70, 3), 20, np.uint8)  # no subject at all
    alpha = seg.predict(flat)
    assert alpha.shape == (50, 70) and alpha.dtype == np.float32
    # min-max stretching would force the range to [0, 1] even for a flat image
    assert alpha.max() - alpha.min() < 0.5


def test_preprocess_uses_model_cfg(tiny_model):
    seg = Segmenter(tiny_model)
    x = seg.preprocess(np.full((10, 10, 3), 255, np.uint8))
    expected = (1 - np.array(seg.cfg.mean)) / np.array(seg.cfg.std)
    assert x.shape == (1, 3, 32, 32)
    assert np.allclose(x[0, :, 0, 0], expected, atol=1e-5)


def _square_gt(band: bool = False):
    gt = np.zeros((40, 40), np.uint8)
    gt[10:30, 10:30] = 255
    if band:
        gt[9:11, 9:31] = 128
    return gt


def test_metrics_on_known_masks():
    gt = _square_gt()
    perfect = (gt > 0).astype(np.float32)
    assert iou(perfect, gt) == 1.0 and mae(perfect, gt) == 0.0 and boundary_f1(perfect, gt) == 1.0
    half = perfect.copy()
    half[10:30, 20:30] = 0
    assert iou(half, gt) == pytest.approx(0.5)
    assert mae(half, gt) == pytest.approx(200 / 1600)
    assert boundary_f1(np.zeros_like(perfect), gt) == 0.0
    sod = sod_measures(perfect, gt)
    assert sod["s_measure"] > 0.99 and sod["max_f"] > 0.99 and sod["weighted_f"] > 0.99


def test_metrics_ignore_128():
    gt = _square_gt(band=True)
    pred = (gt > 128).astype(np.float32)
    pred[9:11, 9:31] = 1.0  # anything inside the ignore band is free
    assert iou(pred, gt) == 1.0 and mae(pred, gt) == 0.0
