"""Image decoding and encoding (Pillow + pillow-heif; no torch)."""

from skucut.io.decode import DEFAULT_MAX_PIXELS, Decoded, decode_image
from skucut.io.encode import encode_cutout, encode_mask

__all__ = ["DEFAULT_MAX_PIXELS", "Decoded", "decode_image", "encode_cutout", "encode_mask"]
