"""Video and 360° spin sets: the image pipeline over time.

``remove_video`` cuts the product out of every frame of a clip (with a motion-gated temporal median
of the alpha) and writes an alpha video; ``spin_set`` places every frame of a turntable shoot with one
crop box and scale. Reading and writing containers needs PyAV (``pip install 'skucut[video]'``);
it is imported only when a video is opened.
"""

from skucut.video.run import VideoResult, build_options, remove_video, video_options
from skucut.video.sink import KINDS, output_kind
from skucut.video.source import DEFAULT_MAX_SECONDS, VIDEO_EXTS
from skucut.video.temporal import TemporalMedian, flicker

__all__ = [
    "DEFAULT_MAX_SECONDS",
    "KINDS",
    "VIDEO_EXTS",
    "TemporalMedian",
    "VideoResult",
    "build_options",
    "flicker",
    "output_kind",
    "remove_video",
    "video_options",
]
