"""The picture an embedding is made of: the product cut out and centred on neutral grey.

On the photo as it is, two products on the same white sweep look alike and one product on two
backdrops does not; on the cutout only the product is left to compare. The raw view (the whole
photo, fitted into the same grey square) is there to measure that difference.
"""

from __future__ import annotations

import numpy as np

from skucut.compose import ComposeOptions, compose, product_box
from skucut.io import Decoded
from skucut.pipeline import RemoveOptions, predict_alpha
from skucut.refine import estimate_foreground

GREY = (128, 128, 128)
FILL = 0.9  # share of the square the product's (or photo's) longer side fills


def _on_grey(rgb: np.ndarray, alpha: np.ndarray, side: int) -> np.ndarray:
    options = ComposeOptions(canvas=(side, side), fill=FILL, bg_color=GREY)
    return compose(rgb, alpha, options)[0]


def photo_view(rgb: np.ndarray, side: int) -> np.ndarray:
    """The whole photo, fitted and centred in a grey square."""
    return _on_grey(rgb, np.full(rgb.shape[:2], 255, np.uint8), side)


def product_view(
    decoded: Decoded, side: int, model: str | None = None, refine: str = "guided"
) -> tuple[np.ndarray, bool]:
    """(the cutout centred on grey, True), or (the photo view, False) when no product is found.

    ``refine`` "guided" by default: an embedding does not need the graph cut's edge, and it
    is several times faster."""
    options = RemoveOptions(model=model, refine=refine)
    alpha, _ = predict_alpha(decoded, options)
    if product_box(alpha) is None:
        return photo_view(decoded.rgb, side), False
    return _on_grey(estimate_foreground(decoded.rgb, alpha), alpha, side), True


def view_for(
    decoded: Decoded, side: int, cutout: bool = True, model: str | None = None, refine="guided"
) -> tuple[np.ndarray, bool]:
    """The view to embed: the product's with ``cutout``, else the photo's; and whether it is
    a cutout."""
    if cutout:
        return product_view(decoded, side, model, refine)
    return photo_view(decoded.rgb, side), False
