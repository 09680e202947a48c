"""Export trained checkpoints to ONNX with the ModelCfg in the metadata (needs torch)."""

from skucut.export.onnx_export import export_onnx, load_trained_model

__all__ = ["export_onnx", "load_trained_model"]
