"""Before/after contact sheet: the raw model's cutout next to skucut's default output.

    python bench/contact_sheet.py ../shared/data/photos-unlabeled/products -o sheet.png \
        [--n 12] [--preset white-shadow]

Each row: photo | raw model (bilinear alpha, no clean-up, no decontamination) on a magenta
background | default refinement on magenta | the preset's output. Magenta makes fringes and
left-over background easy to see.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, render

MAGENTA = (255, 0, 255)
TILE = 256


def _tile(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(pixels)
    image.thumbnail((TILE, TILE))
    canvas = Image.new("RGB", (TILE, TILE), (40, 40, 40))
    canvas.paste(image, ((TILE - image.width) // 2, (TILE - image.height) // 2))
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("-o", "--output", default="contact-sheet.png")
    parser.add_argument("--n", type=int, default=12)
    parser.add_argument("--preset", default="white-shadow")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    photos = sorted(p for p in Path(args.folder).iterdir() if "thumbnail" not in p.name)
    photos = photos[:: max(1, len(photos) // args.n)][: args.n]  # spread over the folder
    raw = RemoveOptions(
        model=args.model, refine="none", cleanup=False, decontaminate=False, bg_color=MAGENTA
    )
    refined = RemoveOptions(model=args.model, bg_color=MAGENTA)
    preset = RemoveOptions.build(args.preset, model=args.model)
    sheet = Image.new("RGB", (4 * TILE, len(photos) * TILE))
    for row, path in enumerate(photos):
        decoded = decode_image(path)
        tiles = [decoded.rgb] + [render(decoded, o)[0] for o in (raw, refined, preset)]
        for col, pixels in enumerate(tiles):
            sheet.paste(_tile(pixels), (col * TILE, row * TILE))
    sheet.save(args.output)
    print(f"{len(photos)} photos -> {args.output}")


if __name__ == "__main__":
    main()
