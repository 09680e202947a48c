"""Decode any common image into RGB uint8 plus its existing alpha.

Handles EXIF orientation, CMYK and embedded ICC profiles (converted to sRGB), 16-bit data
(scaled, never clipped), palette/grey modes, the first frame of animations, and HEIC/HEIF.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from skucut.errors import ImageTooLarge, InvalidImage, UnsupportedImage

try:  # HEIC/HEIF support is optional at import time but installed by default.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover
    pass

DEFAULT_MAX_PIXELS = 50_000_000
# File extensions the decoder reads (what folder and glob inputs pick up).
IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"}
# The Pillow formats opened, whatever a file's name says: nothing else is even parsed (an EPS
# would start Ghostscript, and every extra format is extra attack surface). JPEG includes the
# MPO files of many cameras.
FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF", "HEIF")
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class Decoded:
    rgb: np.ndarray  # HxWx3 uint8, sRGB
    alpha: np.ndarray | None  # HxW uint8, or None when the image is opaque
    format: str


def decode_image(source: bytes | str | Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Decoded:
    """Decode ``source`` (bytes or path). Raises InvalidImage, UnsupportedImage, ImageTooLarge."""
    data = source if isinstance(source, bytes | bytearray) else Path(source).read_bytes()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            check_size(*image.size, max_pixels)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard fired first (at its limit, above skucut's default one)
        limit = min(max_pixels, Image.MAX_IMAGE_PIXELS)
        raise ImageTooLarge(f"image is too large: over the {limit:,}-pixel limit") from None
    except UnidentifiedImageError:
        raise InvalidImage(
            "not a recognised image file (accepted: JPEG, PNG, WebP, TIFF, BMP, GIF, HEIC)"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(f"corrupt or truncated image: {exc}") from None
    fmt = image.format or "unknown"
    image = ImageOps.exif_transpose(image)
    rgb, alpha = _to_rgb_alpha(image)
    return Decoded(rgb, alpha, fmt)


def check_size(width: int, height: int, max_pixels: int) -> None:
    """Refuse an empty image, or one of more than ``max_pixels`` (before it is decoded)."""
    if width < 1 or height < 1:
        raise InvalidImage(f"the image is empty ({width}x{height})")
    if width * height > max_pixels:
        raise ImageTooLarge(
            f"image has {width}x{height} = {width * height:,} pixels, limit is {max_pixels:,}"
        )


def _scale_to_8bit(image: Image.Image) -> np.ndarray:
    """Grey 16-bit / 32-bit / float samples -> uint8 by scaling, never by clipping to 255."""
    arr = np.asarray(image)
    if image.mode.startswith("I;16"):
        top = 65535.0
    elif image.mode == "F":
        top = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
    else:  # mode "I": 32-bit ints, often 16-bit data from TIFF; scale by the range in use
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
    return np.clip(np.round(arr.astype(np.float64) * (255.0 / top)), 0, 255).astype(np.uint8)


def _to_rgb_alpha(image: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    icc = image.info.get("icc_profile")
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        grey = _scale_to_8bit(image)
        return np.ascontiguousarray(np.repeat(grey[..., None], 3, axis=2)), None
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode in ("1", "L"):
        image = image.convert("RGB")
    elif mode in ("LA", "La", "PA") or mode == "RGBa":
        image = image.convert("RGBA")

    alpha = None
    if image.mode == "RGBA":
        alpha = np.asarray(image.getchannel("A")).copy()
        colour = image.convert("RGB")
    elif image.mode in ("RGB", "CMYK", "YCbCr", "LAB", "HSV"):
        colour = image
    elif image.mode in ("RGB;16", "BGR;16"):  # pragma: no cover - rare raw modes
        colour = image.convert("RGB")
    else:
        raise UnsupportedImage(f"unsupported image mode {image.mode}")

    if icc or colour.mode == "CMYK":
        colour = _to_srgb(colour, icc)
    elif colour.mode != "RGB":
        colour = colour.convert("RGB")
    rgb = np.asarray(colour)
    if alpha is not None and alpha.min() == 255:
        alpha = None  # fully opaque: no alpha to carry
    return np.ascontiguousarray(rgb), alpha


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert with the embedded ICC profile; CMYK without one uses Pillow's naive inversion."""
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, src, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: fall back to the plain conversion below
    return image.convert("RGB")
