"""A Segmenter wraps one onnxruntime session and the ModelCfg stored in the model file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from skucut.errors import InvalidModel, ProviderUnavailable
from skucut.modelcfg import METADATA_KEY, SR_METADATA_KEY, ModelCfg


def create_session(
    path: str | Path, providers: list[str] | None = None, threads: int = 0, int8: bool = False
) -> ort.InferenceSession:
    """An onnxruntime session; a requested provider that is missing is an error, not a fallback.

    ``int8``: the model is quantized (QDQ) and its int8 kernels must be kept.
    """
    providers = providers or ["CPUExecutionProvider"]
    missing = [p for p in providers if p not in ort.get_available_providers()]
    if missing:
        raise ProviderUnavailable(
            f"execution provider(s) {', '.join(missing)} not available; "
            f"installed: {', '.join(ort.get_available_providers())}"
        )
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads  # 0 = one per core
    options.inter_op_num_threads = 1
    # Shipped models keep int8 conv weights behind DequantizeLinear only to stay small. With
    # QDQ handling off, onnxruntime folds those nodes into float32 weights at load (measured:
    # 56 -> 34 ms per 192 px image). A truly int8 (QDQ-activation) model must not set this.
    if not int8:
        options.add_session_config_entry("session.disable_quant_qdq", "1")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime's own types (InvalidProtobuf, Fail, ...)
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise InvalidModel(f"{Path(path).name} is not a usable ONNX model: {reason}") from None


def read_model_cfg(session: ort.InferenceSession, path: str | Path = "model") -> ModelCfg:
    meta = session.get_modelmeta().custom_metadata_map
    if SR_METADATA_KEY in meta:
        raise InvalidModel(
            f"{Path(path).name} is a super-resolution model (skucut upscale), not a segmentation one"
        )
    if METADATA_KEY not in meta:
        raise InvalidModel(
            f"{Path(path).name} has no {METADATA_KEY} metadata: not a skucut segmentation model "
            "(models trained with skucut train are written by skucut export)"
        )
    try:
        return ModelCfg.from_json(meta[METADATA_KEY])
    except (ValueError, TypeError) as exc:
        raise InvalidModel(
            f"{Path(path).name}: unreadable {METADATA_KEY} metadata ({exc})"
        ) from None


class Segmenter:
    """Image -> alpha in [0, 1] at the image's own resolution."""

    def __init__(self, path: str | Path, providers: list[str] | None = None, threads: int = 0):
        self.path = Path(path)
        self.session = create_session(path, providers, threads)
        self.cfg = read_model_cfg(self.session, path)
        if self.cfg.precision == "int8":  # the metadata says so only once the file is open
            self.session = create_session(path, providers, threads, int8=True)
        self._input = self.session.get_inputs()[0].name
        self.warm_up()

    def warm_up(self) -> None:
        """One run at the working size so the first real image does not pay for graph setup."""
        side = self.cfg.input_size
        self._core(np.zeros((1, 3, side, side), np.float32))

    def preprocess(self, rgb: np.ndarray, side: int | None = None) -> np.ndarray:
        side = side or self.cfg.input_size
        shrinking = rgb.shape[0] * rgb.shape[1] > side * side
        resized = cv2.resize(
            rgb, (side, side), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        )
        x = resized.astype(np.float32) * (1.0 / 255.0)
        x = (x - np.asarray(self.cfg.mean, np.float32)) / np.asarray(self.cfg.std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def _core(self, batch: np.ndarray) -> np.ndarray:
        """Every output channel (B x C x H x W), as probabilities."""
        out = self.session.run(None, {self._input: batch})[0]
        if out.ndim != 4 or out.shape[1] < len(self.cfg.outputs):
            raise InvalidModel(
                f"{self.path.name} answers {out.shape[1] if out.ndim == 4 else '?'} map(s) but "
                f"its metadata names {len(self.cfg.outputs)} ({', '.join(self.cfg.outputs)})"
            )
        if self.cfg.output_kind == "logits":
            out = 1.0 / (1.0 + np.exp(-out))
        return out

    @staticmethod
    def postprocess(prob: np.ndarray, height: int, width: int) -> np.ndarray:
        # Clip only: no per-image min-max stretching (it turns noise into a mask).
        alpha = cv2.resize(prob, (width, height), interpolation=cv2.INTER_LINEAR)
        return np.clip(alpha, 0.0, 1.0)

    @property
    def outputs(self) -> tuple[str, ...]:
        """The names of the model's maps: ("subject",) or ("subject", "person")."""
        return self.cfg.outputs

    @property
    def has_person(self) -> bool:
        return "person" in self.cfg.outputs

    def probability(self, rgb: np.ndarray, side: int | None = None) -> np.ndarray:
        """The model's foreground (subject) probability at its own working resolution (or at
        ``side``, see ``maps``)."""
        return self._core(self.preprocess(rgb, side))[0, 0]

    def maps(self, rgb: np.ndarray, side: int | None = None) -> dict[str, np.ndarray]:
        """Every map the model makes, by name ({"subject": ..., "person": ...}), from one
        forward pass, at its working resolution (or ``side``, a multiple of its stride: the
        network is fully convolutional, so a second scale can be asked for)."""
        out = self._core(self.preprocess(rgb, side))[0]
        return {name: out[i] for i, name in enumerate(self.cfg.outputs)}

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """Probability upsampled bilinearly to the image's size (no refinement)."""
        return self.postprocess(self.probability(rgb), rgb.shape[0], rgb.shape[1])
