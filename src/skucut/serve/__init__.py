"""HTTP API and web page (``[serve]`` extra): ``skucut serve`` or ``create_app(settings)``."""

from skucut.serve.app import create_app
from skucut.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
