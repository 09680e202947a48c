"""skucut quantize: a QDQ int8 model that the runtime keeps int8 and that agrees with float."""

import numpy as np
import onnx
import pytest
from PIL import Image

from skucut.cli import main
from skucut.runtime.session import Segmenter
from tests.conftest import disc_image

pytest.importorskip("onnx")


@pytest.fixture(scope="module")
def int8_model(tiny_model, tmp_path_factory):
    root = tmp_path_factory.mktemp("quant")
    calib = root / "calib"
    calib.mkdir()
    for i in range(8):
        Image.fromarray(disc_image(64, seed=100 + i)[0]).save(calib / f"c{i}.jpg")
    out = root / "tiny.int8.onnx"
    assert (
        main(["quantize", str(tiny_model), "-o", str(out), "--calib", str(calib), "-n", "8"]) == 0
    )
    return out


def test_int8_model_is_qdq_and_marked(tiny_model, int8_model):
    ops = {node.op_type for node in onnx.load(str(int8_model)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    segmenter = Segmenter(int8_model)
    assert segmenter.cfg.precision == "int8" and segmenter.cfg.name == "tiny"
    # the runtime folds QDQ away for float models (int8-stored weights) but not for int8 ones
    float_options = Segmenter(tiny_model).session.get_session_options()
    assert float_options.get_session_config_entry("session.disable_quant_qdq") == "1"
    with pytest.raises(Exception, match="disable_quant_qdq"):
        segmenter.session.get_session_options().get_session_config_entry(
            "session.disable_quant_qdq"
        )


def test_int8_agrees_with_float(tiny_model, int8_model):
    float_seg, int8_seg = Segmenter(tiny_model), Segmenter(int8_model)
    for seed in range(4):
        rgb, _ = disc_image(64, seed=200 + seed)
        a, b = float_seg.predict(rgb), int8_seg.predict(rgb)
        assert np.abs(a - b).mean() < 0.03
        assert ((a > 0.5) == (b > 0.5)).mean() > 0.97


def test_quantize_errors_are_one_line(int8_model, tmp_path, capsys):
    out = str(tmp_path / "x.onnx")
    assert main(["quantize", str(int8_model), "-o", out, "--calib", str(tmp_path)]) == 2
    assert "already quantized" in capsys.readouterr().err
