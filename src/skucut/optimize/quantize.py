"""Static int8 quantization (QDQ, per-channel weights) calibrated on real photos.

Steps: fold the shipped model's int8-stored weights back to float32 (an onnxruntime
basic-level optimisation writes the folded graph), run calibration photos through it with the
runtime's own preprocessing, and let onnxruntime insert QuantizeLinear/DequantizeLinear pairs.
The ModelCfg travels along with ``precision="int8"`` so the runtime knows to keep the QDQ
nodes (it folds them away for float models with int8-stored weights).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)

from skucut.io import decode_image
from skucut.io.decode import IMAGE_EXTS
from skucut.modelcfg import METADATA_KEY, set_metadata
from skucut.runtime.session import Segmenter


class _Photos(CalibrationDataReader):
    """Calibration inputs: photos from a folder, preprocessed exactly as at inference."""

    def __init__(self, segmenter: Segmenter, paths: list[Path], input_name: str):
        self.segmenter, self.paths, self.input_name = segmenter, iter(paths), input_name

    def get_next(self):
        path = next(self.paths, None)
        if path is None:
            return None
        rgb = decode_image(path.read_bytes()).rgb
        return {self.input_name: self.segmenter.preprocess(rgb)}


def calibration_photos(folders: list[str | Path], limit: int) -> list[Path]:
    """Up to ``limit`` photos spread evenly over the folders (sorted, so runs repeat)."""
    paths = sorted(
        p for folder in folders for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXTS
    )
    if not paths:
        raise FileNotFoundError(f"no images under {', '.join(map(str, folders))}")
    step = max(1, len(paths) // limit)
    return paths[::step][:limit]


def float_graph(model_path: str | Path, out_path: str | Path) -> None:
    """The model with DequantizeLinear(int8 weight) folded into float32 initializers."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(out_path)
    options.add_session_config_entry("session.disable_quant_qdq", "1")
    ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


def quantize_model(
    model_path: str | Path,
    out_path: str | Path,
    calib_dirs: list[str | Path],
    n_images: int = 64,
) -> int:
    """Write the int8 model to ``out_path``; returns the number of calibration photos used."""
    segmenter = Segmenter(model_path, threads=1)
    if segmenter.cfg.precision == "int8":
        raise ValueError(f"{model_path} is already quantized")
    photos = calibration_photos(calib_dirs, n_images)
    with tempfile.TemporaryDirectory() as tmp:
        folded = Path(tmp) / "float.onnx"
        float_graph(model_path, folded)
        reader = _Photos(segmenter, photos, segmenter.session.get_inputs()[0].name)
        quantized = Path(tmp) / "int8.onnx"
        quantize_static(
            str(folded),
            str(quantized),
            reader,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            # 7-bit weights: without VNNI, onnxruntime's u8s8 kernels (vpmaddubsw) can
            # saturate 16-bit sums; the reduced range avoids it at a negligible cost.
            reduce_range=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.Percentile,
            extra_options={"CalibPercentile": 99.99},
        )
        proto = onnx.load(str(quantized))
    cfg = dataclasses.replace(segmenter.cfg, precision="int8")
    set_metadata(proto, METADATA_KEY, cfg.to_json())
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    partial = out_path.with_name(out_path.name + ".partial")
    onnx.save(proto, str(partial))
    partial.replace(out_path)
    return len(photos)
