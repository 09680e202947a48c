"""An embedding model: one onnxruntime session and the EmbedCfg stored in its file (no torch)."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np

from skucut.catalog import resolve_model
from skucut.embed.embedcfg import EMBED_METADATA_KEY, EmbedCfg
from skucut.errors import InvalidModel
from skucut.runtime.session import create_session

DEFAULT_EMBEDDER = "skucut-embed-lite0"
TASK = "embedding"  # its card.json's task, so a name resolves only to an embedding model


class Embedder:
    """Square RGB view -> L2-normalised feature vector."""

    def __init__(self, path: str | Path, threads: int = 0):
        self.path = Path(path)
        self.session = create_session(path, threads=threads)
        meta = self.session.get_modelmeta().custom_metadata_map
        if EMBED_METADATA_KEY not in meta:
            raise InvalidModel(
                f"{self.path.name} has no {EMBED_METADATA_KEY} metadata: not a skucut embedding "
                "model (skucut export-embedder writes one)"
            )
        self.cfg = EmbedCfg.from_json(meta[EMBED_METADATA_KEY])
        self._input = self.session.get_inputs()[0].name

    def preprocess(self, view: np.ndarray) -> np.ndarray:
        side = self.cfg.input_size
        if view.shape[:2] != (side, side):
            view = cv2.resize(view, (side, side), interpolation=cv2.INTER_AREA)
        x = view.astype(np.float32) * (1.0 / 255.0)
        x = (x - np.asarray(self.cfg.mean, np.float32)) / np.asarray(self.cfg.std, np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1)[None])

    def embed(self, view: np.ndarray) -> np.ndarray:
        vector = self.session.run(None, {self._input: self.preprocess(view)})[0][0]
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


_EMBEDDERS: dict[Path, Embedder] = {}
_LOCK = threading.Lock()


def load_embedder(name: str | None = None, threads: int = 0) -> Embedder:
    """A name (``models/NAME`` with a card of task "embedding") or an .onnx path; one session
    per file per process."""
    path = resolve_model(name or DEFAULT_EMBEDDER, task=TASK).resolve()
    with _LOCK:
        if path not in _EMBEDDERS:
            _EMBEDDERS[path] = Embedder(path, threads)
        return _EMBEDDERS[path]
