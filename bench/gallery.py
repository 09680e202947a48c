"""The README's gallery: skucut's outputs for the repo's own example photos.

    python bench/gallery.py [--model M] -o docs/gallery.jpg

One row per photo in examples/: the photo | the default cutout on a checkerboard | the
white-main preset | the catalog-bottom preset (shadow). JPEG, 220 px tiles.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, render

TILE = 220
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def checkerboard(height: int, width: int, square: int = 12) -> np.ndarray:
    yy, xx = np.mgrid[:height, :width]
    light = ((yy // square + xx // square) % 2).astype(np.float32)
    return (205 + 40 * light)[..., None].repeat(3, axis=2)


def shown(pixels: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if alpha is None:
        return pixels
    a = alpha[..., None].astype(np.float32) / 255
    return (pixels * a + checkerboard(*alpha.shape) * (1 - a)).astype(np.uint8)


def tile(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(pixels)
    image.thumbnail((TILE, TILE))
    canvas = Image.new("RGB", (TILE, TILE), (255, 255, 255))
    canvas.paste(image, ((TILE - image.width) // 2, (TILE - image.height) // 2))
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/gallery.jpg"))
    args = parser.parse_args()
    photos = sorted(p for p in EXAMPLES.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    columns = [
        ("photo", None),
        ("cutout (default)", RemoveOptions(model=args.model)),
        ("--preset white-main", RemoveOptions.build("white-main", model=args.model)),
        ("--preset catalog-bottom", RemoveOptions.build("catalog-bottom", model=args.model)),
    ]
    head = 22
    sheet = Image.new("RGB", (len(columns) * TILE, head + len(photos) * TILE), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for col, (title, _) in enumerate(columns):
        draw.text((col * TILE + 6, 5), title, fill=(40, 40, 40))
    for row, path in enumerate(photos):
        decoded = decode_image(path)
        for col, (_, options) in enumerate(columns):
            pixels = decoded.rgb if options is None else shown(*render(decoded, options)[:2])
            sheet.paste(tile(pixels), (col * TILE, head + row * TILE))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.output, quality=85)
    print(f"{len(photos)} photos -> {args.output}")


if __name__ == "__main__":
    main()
