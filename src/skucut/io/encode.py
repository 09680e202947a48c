"""Encode cutouts and masks. Alpha is always straight (colour is never multiplied by alpha)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

FORMATS = ("png", "webp", "jpg")


def parse_color(text: str | tuple[int, ...] | None) -> tuple[int, int, int] | None:
    """'#ffffff', 'fff', 'white', '255,255,255' or a tuple -> (r, g, b)."""
    if text is None:
        return None
    if isinstance(text, tuple | list):
        if len(text) != 3 or not all(
            isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in text
        ):
            raise ValueError(f"a colour tuple must be three whole numbers 0..255, got {text!r}")
        return tuple(text)  # type: ignore[return-value]
    if not isinstance(text, str):
        raise ValueError(f"not a colour: {text!r} (use a name, #rrggbb or r,g,b)")
    from PIL import ImageColor

    text = text.strip()
    try:
        if "," in text:
            parts = tuple(int(p) for p in text.split(","))
            if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
                raise ValueError
            return parts  # type: ignore[return-value]
        if all(c in "0123456789abcdefABCDEF" for c in text) and len(text) in (3, 6):
            text = "#" + text
        return ImageColor.getrgb(text)[:3]
    except ValueError:
        raise ValueError(f"not a colour: {text!r} (use a name, #rrggbb or r,g,b)") from None


def encode_cutout(
    rgb: np.ndarray,
    alpha: np.ndarray | None,
    fmt: str = "png",
    bg_color: tuple[int, int, int] | None = None,
    quality: int = 92,
) -> bytes:
    """RGB + alpha -> PNG/WebP with straight alpha, or flattened onto ``bg_color``.

    JPEG has no alpha, so it is always flattened (white when no colour is given). Without
    ``alpha`` the image is written opaque.
    """
    fmt = fmt.lower().replace("jpeg", "jpg")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "jpg" and bg_color is None and alpha is not None:
        bg_color = (255, 255, 255)
    if alpha is None:
        image = Image.fromarray(rgb, "RGB")
    elif bg_color is not None:
        image = Image.fromarray(flatten(rgb, alpha, bg_color), "RGB")
    else:
        image = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    buf = io.BytesIO()
    if fmt == "png":
        image.save(buf, "PNG", compress_level=3)  # 3: ~2x faster than 6 for ~5% more bytes
    elif fmt == "webp":
        image.save(buf, "WEBP", quality=quality, exact=True)  # exact: keep colour under alpha
    else:
        image.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def flatten(rgb: np.ndarray, alpha: np.ndarray, bg_color: tuple[int, int, int]) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255.0
    out = rgb.astype(np.float32) * a + np.asarray(bg_color, np.float32) * (1 - a)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def encode_mask(alpha: np.ndarray) -> bytes:
    """A single-channel 8-bit PNG."""
    buf = io.BytesIO()
    Image.fromarray(alpha, "L").save(buf, "PNG", compress_level=3)
    return buf.getvalue()
