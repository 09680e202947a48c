"""PyAV, imported only when video is used: the image install does not need it."""

from __future__ import annotations

from skucut.errors import SkucutError

HINT = "video needs PyAV: pip install 'skucut[video]'"


class VideoSupportMissing(SkucutError):
    exit_code = 2
    http_status = 501
    code = "video_unavailable"


def require_av():
    """The ``av`` module, or a one-line install hint."""
    try:
        import av
    except ImportError:
        raise VideoSupportMissing(HINT) from None
    return av


def av_message(exc: BaseException) -> str:
    """FFmpeg's words for a failure, without its error number and call name."""
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())
