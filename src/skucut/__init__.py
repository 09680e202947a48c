"""skucut: background removal for product photos.

import skucut
cutout = skucut.remove("photo.jpg")          # PIL.Image, RGBA, straight alpha
cutout.save("photo.png")
"""

from __future__ import annotations

from io import BytesIO  # (plain `import io` would be shadowed by the skucut.io subpackage)
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from skucut._version import __version__
from skucut.catalog import DEFAULT_MODEL, ModelInfo, list_models
from skucut.errors import ImageTooLarge, InvalidImage, ModelNotFound, SkucutError, UnsupportedImage
from skucut.io import Decoded, decode_image
from skucut.io.decode import check_size
from skucut.pipeline import RemoveOptions, load_segmenter, render
from skucut.presets import BUILTIN as PRESETS
from skucut.review import Review

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "DEFAULT_MODEL",
    "PRESETS",
    "ImageTooLarge",
    "InvalidImage",
    "ModelInfo",
    "ModelNotFound",
    "RemoveOptions",
    "Review",
    "SkucutError",
    "UnsupportedImage",
    "__version__",
    "list_models",
    "load_model",
    "remove",
    "remove_video",
]


def load_model(name: str | None = None):
    """The Segmenter for a shipped model name or an .onnx path (cached per process)."""
    return load_segmenter(name)


def _decode_any(image, max_pixels: int) -> Decoded:
    from PIL import Image

    if isinstance(image, bytes | bytearray | str | Path):
        return decode_image(image, max_pixels)
    if isinstance(image, Image.Image):
        check_size(image.width, image.height, max_pixels)
        # One decoding path for every input. TIFF, unlike PNG, holds almost every Pillow mode
        # (CMYK, 16-bit, float) losslessly, and carries the ICC profile along; the few it
        # cannot hold are converted to the nearest mode it can.
        if image.mode in _NOT_IN_TIFF:
            image = image.convert(_NOT_IN_TIFF[image.mode])
        buf = BytesIO()
        image.save(buf, "TIFF", icc_profile=image.info.get("icc_profile"))
        return decode_image(buf.getvalue(), max_pixels)
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
            raise InvalidImage(
                f"expected an HxWx3 or HxWx4 uint8 array, got {image.dtype} {image.shape}"
            )
        check_size(image.shape[1], image.shape[0], max_pixels)
        alpha = image[..., 3].copy() if image.shape[2] == 4 else None
        return Decoded(np.ascontiguousarray(image[..., :3]), alpha, "array")
    raise TypeError(
        f"unsupported input type {type(image).__name__}: "
        "give a path, bytes, a PIL image or an HxWx3/HxWx4 uint8 array"
    )


_NOT_IN_TIFF = {"HSV": "RGB", "RGBa": "RGBA", "La": "LA"}


def remove(
    image,
    model: str | None = None,
    *,
    preset: str | None = None,
    preset_file: str | Path | None = None,
    return_info: bool = False,
    **options,
) -> Image.Image | tuple[Image.Image, Review]:
    """Remove the background of ``image`` (path, bytes, PIL image or RGB/RGBA uint8 array).

    Returns an RGBA PIL image with straight alpha; an RGB image when the result is opaque
    (a background colour or image); the alpha alone (mode "L") with ``mask=True``. Options are
    those of :class:`skucut.pipeline.RemoveOptions` (refine, bg_color, canvas, shadow, ...),
    on top of a ``preset`` (see ``skucut presets``). With ``return_info``, a pair
    ``(image, review)``: the :class:`Review` says how sure the model was and whether a person
    should check the cutout.
    """
    from PIL import Image

    opts = RemoveOptions.build(preset, preset_file, model=model, **options)
    pixels, alpha, review = render(_decode_any(image, opts.max_pixels), opts)
    if opts.mask:
        result = Image.fromarray(pixels, "L")
    elif alpha is None:
        result = Image.fromarray(pixels, "RGB")
    else:
        result = Image.fromarray(np.dstack([pixels, alpha]), "RGBA")
    return (result, review) if return_info else result


def remove_video(
    source: str | Path,
    output: str | Path,
    model: str | None = None,
    *,
    preset: str | None = None,
    preset_file: str | Path | None = None,
    smooth: bool = True,
    fps: float | None = None,
    max_seconds: float = 600.0,
    **options,
):
    """Remove the background of every frame of ``source`` (a video file or a folder of frames)
    and write ``output``: .webm / .mov / .webp keep alpha, .mp4 needs ``bg_color`` or
    ``bg_image``, any other name is a folder of PNG frames. Frame rate, length and sound are
    kept; ``smooth`` carries the alpha over where the picture did not change. Options as for
    :func:`remove` (those that change the frame size are refused). Returns a
    ``skucut.video.VideoResult``. Needs PyAV: ``pip install 'skucut[video]'``.
    """
    from skucut.video import build_options
    from skucut.video import remove_video as run

    opts = build_options(preset, preset_file, model=model, **options)
    return run(source, output, opts, smooth=smooth, fps=fps, max_seconds=max_seconds)
