"""Domain errors. Each maps to one CLI exit code and one HTTP status."""

from __future__ import annotations


class SkucutError(Exception):
    exit_code = 1
    http_status = 500
    code = "error"


class InvalidImage(SkucutError):
    """The bytes are not a decodable image (corrupt, truncated, not an image)."""

    exit_code = 3
    http_status = 400
    code = "invalid_image"


class UnsupportedImage(SkucutError):
    """A real image in a format or mode skucut does not handle."""

    exit_code = 3
    http_status = 415
    code = "unsupported_image"


class ImageTooLarge(SkucutError):
    """More pixels than the configured limit (or a decompression bomb)."""

    exit_code = 3
    http_status = 413
    code = "image_too_large"


class InvalidVideo(InvalidImage):
    """A video (or frame folder) that cannot be read to its end: not a video, damaged, truncated."""

    code = "invalid_video"


class VideoTooLong(ImageTooLarge):
    """Longer (in seconds or frames) than the configured video limit."""

    code = "video_too_long"


class ModelNotFound(SkucutError):
    exit_code = 4
    http_status = 404
    code = "model_not_found"


class InvalidModel(SkucutError):
    """A model file that cannot serve the request: not ONNX, damaged, or made for another task."""

    exit_code = 4
    http_status = 422
    code = "invalid_model"


class ProviderUnavailable(SkucutError):
    """A requested onnxruntime execution provider is not installed; never fall back silently."""

    exit_code = 4
    http_status = 500
    code = "provider_unavailable"
