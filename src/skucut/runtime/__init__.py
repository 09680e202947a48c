"""ONNX Runtime inference: ModelCfg-driven pre -> core -> post. Never imports torch."""

from skucut.runtime.session import Segmenter, create_session

__all__ = ["Segmenter", "create_session"]
