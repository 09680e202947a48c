"""POST /v1/embed: a product's vector for similar-item search, as `skucut embed` makes it."""

from __future__ import annotations

import time

from skucut.embed import load_embedder, view_for
from skucut.errors import SkucutError
from skucut.io import decode_image
from skucut.serve.errors import ApiError
from skucut.serve.limits import JobTimeout
from skucut.serve.uploads import Upload


def embed_upload(image: Upload, model: str, cutout: bool, max_pixels: int, deadline: float) -> dict:
    """The L2-normalised vector of one image, in a worker thread inside a work slot; the view
    is "cutout" (the product on grey) or "photo" (asked for, or no product was found)."""
    try:
        embedder = load_embedder()  # once per process
        decoded = decode_image(image.read(), max_pixels)
        if time.monotonic() > deadline:
            raise JobTimeout
        view, cut = view_for(decoded, embedder.cfg.input_size, cutout, model)
        vector = embedder.embed(view)
    except SkucutError as exc:
        raise ApiError.of(exc) from None
    return {
        "embedder": embedder.path.parent.name,
        "view": "cutout" if cut else "photo",
        "dim": int(vector.size),
        "vector": [round(float(v), 6) for v in vector],
    }
