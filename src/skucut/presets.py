"""Named output recipes: marketplace rules as option sets, built in or from a file.

A preset is a set of RemoveOptions fields; options given explicitly override it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skucut._files import load_mapping

BUILTIN: dict[str, dict[str, Any]] = {
    "white-main": {
        "description": "marketplace main image: pure white, 2000x2000, product fills 85%, JPEG",
        "bg_color": "white",
        "canvas": (2000, 2000),
        "fill": 0.85,
        "format": "jpg",
        "upscale": "auto",
    },
    "white-shadow": {
        "description": "white-main with a soft contact shadow under the product",
        "bg_color": "white",
        "canvas": (2000, 2000),
        "fill": 0.85,
        "shadow": "contact",
        "format": "jpg",
        "upscale": "auto",
    },
    "catalog-bottom": {
        "description": "catalogue grid: 1600x1600 white, products on a common baseline, shadow",
        "bg_color": "white",
        "canvas": (1600, 1600),
        "fill": 0.8,
        "align": "bottom",
        "shadow": "contact",
        "format": "jpg",
        "upscale": "auto",
    },
    "social-grey": {
        "description": "social post: 1080x1080 light grey, product fills 75%, drop shadow",
        "bg_color": "#f2f2f2",
        "canvas": (1080, 1080),
        "fill": 0.75,
        "shadow": "drop",
        "format": "jpg",
        "upscale": "auto",
    },
    "transparent-trim": {
        "description": "transparent PNG cropped to the product with a 2% margin",
        "trim": True,
        "margin": "2%",
        "format": "png",
    },
    "amazon-main": {
        "description": "Amazon main image: the product alone (no hand, no model: needs a model "
        "with a person map), pure white, 2000x2000, product fills 85%, JPEG",
        "bg_color": "white",
        "canvas": (2000, 2000),
        "fill": 0.85,
        "format": "jpg",
        "upscale": "auto",
        "product_only": True,
    },
}


def load_presets(path: str | Path) -> dict[str, dict[str, Any]]:
    """Presets from a TOML, YAML or JSON file: one table per name."""
    raw = load_mapping(path)
    if not all(isinstance(v, dict) for v in raw.values()):
        raise ValueError(f"{Path(path).name}: expected one table of options per preset name")
    return raw


def get_preset(name: str, extra: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    presets = {**BUILTIN, **(extra or {})}
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(sorted(presets))}")
    return {k: v for k, v in presets[name].items() if k != "description"}
