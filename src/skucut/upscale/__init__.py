"""Learned super-resolution for small product photos (luma network + bicubic chroma), tiled."""

from skucut.upscale.engine import Upscaler, fill_transparent, load_upscaler, upscale_model_name
from skucut.upscale.srcfg import SR_METADATA_KEY, SRCfg

__all__ = [
    "SR_METADATA_KEY",
    "SRCfg",
    "Upscaler",
    "fill_transparent",
    "load_upscaler",
    "upscale_model_name",
]
