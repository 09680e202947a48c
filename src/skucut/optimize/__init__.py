"""Making trained models faster on a CPU: int8 quantization (needs the onnx package)."""
