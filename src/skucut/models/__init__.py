"""Model architectures (training chain; imports torch)."""

from skucut.models import encoder_unet as _encoder_unet  # noqa: F401  (fast-unet, quality-unet)
from skucut.models import mobile_unet as _mobile_unet  # noqa: F401  (registers "mobile-unet")
from skucut.models import sr as _sr  # noqa: F401  (registers "srnet")
from skucut.models import unet as _unet  # noqa: F401  (registers "unet")
from skucut.models._registry import create_model, list_models, register_model

__all__ = ["create_model", "list_models", "register_model"]
