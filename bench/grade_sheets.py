"""Contact sheets for grading every shop photo by eye: photo | cutout, 20 photos a sheet.

    python bench/grade_sheets.py ../shared/data/photos-unlabeled/products -o sheets/ \
        [--model M] [--per-sheet 20]

Each pair shows the photo and `skucut remove`'s default cutout (refine fast, clean-up,
decontamination) on a light checkerboard, labelled with the file name and the cutout's
confidence (a * marks those flagged for review). Thumbnail files are left out (they repeat
listing photos). Writes sheets/NN.png and sheets/index.csv (sheet, name, confidence,
needs_review) to record the grades in.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from skucut.io import decode_image
from skucut.io.decode import IMAGE_EXTS
from skucut.pipeline import RemoveOptions, render

TILE, COLUMNS, LABEL = 220, 4, 16


def checkerboard(height: int, width: int, square: int = 10) -> np.ndarray:
    yy, xx = np.mgrid[:height, :width]
    light = ((yy // square + xx // square) % 2).astype(np.float32)
    return (205 + 40 * light)[..., None].repeat(3, axis=2)


def on_checkerboard(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if alpha is None:
        return rgb
    a = alpha[..., None].astype(np.float32) / 255
    return (rgb * a + checkerboard(*alpha.shape) * (1 - a)).astype(np.uint8)


def tile(pixels: np.ndarray) -> Image.Image:
    image = Image.fromarray(pixels)
    image.thumbnail((TILE, TILE))
    canvas = Image.new("RGB", (TILE, TILE), (60, 60, 60))
    canvas.paste(image, ((TILE - image.width) // 2, (TILE - image.height) // 2))
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path("sheets"))
    parser.add_argument("--model", default=None)
    parser.add_argument("--per-sheet", type=int, default=20)
    args = parser.parse_args()
    photos = sorted(
        p for p in args.folder.iterdir()
        if p.suffix.lower() in IMAGE_EXTS and "thumbnail" not in p.name
    )  # fmt: skip
    options = RemoveOptions(model=args.model)
    args.output.mkdir(parents=True, exist_ok=True)
    rows = []
    for start in range(0, len(photos), args.per_sheet):
        batch = photos[start : start + args.per_sheet]
        lines = (len(batch) + COLUMNS - 1) // COLUMNS
        sheet = Image.new("RGB", (COLUMNS * 2 * TILE, lines * (TILE + LABEL)), (30, 30, 30))
        draw = ImageDraw.Draw(sheet)
        number = start // args.per_sheet + 1
        for i, path in enumerate(batch):
            decoded = decode_image(path)
            pixels, alpha, review = render(decoded, options)
            x, y = (i % COLUMNS) * 2 * TILE, (i // COLUMNS) * (TILE + LABEL)
            sheet.paste(tile(decoded.rgb), (x, y + LABEL))
            sheet.paste(tile(on_checkerboard(pixels, alpha)), (x + TILE, y + LABEL))
            flag = " *" if review.needs_review else ""
            draw.text((x + 4, y + 2), f"{path.stem}  {review.confidence:.2f}{flag}", fill="white")
            rows.append([number, path.stem, f"{review.confidence:.4f}", int(review.needs_review)])
        sheet.save(args.output / f"{number:02d}.png")
    with open(args.output / "index.csv", "w", newline="") as f:
        csv.writer(f).writerows([["sheet", "name", "confidence", "needs_review"], *rows])
    print(f"{len(photos)} photos on {len(rows) and number} sheets -> {args.output}/")


if __name__ == "__main__":
    main()
