"""Find training photos whose subject holds no person, for the person output's negatives.

    python bench/person_negatives.py ../shared/data/train/{msra,pascals,davis,coco-coarse} \
        --model models/skucut-quality-v2/model.onnx -o runs/person-negatives

The person output learns "no person" only where a label says so. Saliency sets carry no person
labels, so a model's person map is free to fire on skin-coloured products (a bowl of lentils read
as 86% person). This ranks every training photo by the share of its subject mask the model calls
person and writes:

- ``shares.csv``: set, name, share;
- ``sheet-NN.png``: every photo above ``--review`` share, numbered, with the person map in red,
  for a person to mark which really show people (a model cannot be its own judge there);
- the list a config's ``no_person`` reads is then written by hand from the sheets: see
  ``configs/splits/no-person.txt``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from skucut.data.pairs import find_pairs
from skucut.runtime.session import Segmenter

TILE, COLUMNS = 220, 6


def shares(sets: list[Path], seg: Segmenter):
    for root in sets:
        for image_path, mask_path in find_pairs(root):
            rgb = cv2.cvtColor(cv2.imread(str(image_path)), cv2.COLOR_BGR2RGB)
            mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
            person = seg.postprocess(seg.maps(rgb)["person"], *mask.shape)
            subject = mask == 255
            share = float((person[subject] > 0.5).mean()) if subject.any() else 0.0
            yield root.name, image_path, share, rgb, person


def tile(rgb: np.ndarray, person: np.ndarray, caption: str) -> Image.Image:
    shown = rgb.astype(np.float32)
    shown[..., 0] = shown[..., 0] * (1 - person) + 255 * person
    image = Image.fromarray(shown.clip(0, 255).astype(np.uint8))
    image.thumbnail((TILE, TILE - 16))
    out = Image.new("RGB", (TILE, TILE), (30, 30, 30))
    out.paste(image, ((TILE - image.width) // 2, 16))
    ImageDraw.Draw(out).text((4, 2), caption, fill=(255, 255, 0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--model", required=True)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--review", type=float, default=0.02, help="share above which to look")
    parser.add_argument("--per-sheet", type=int, default=36)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    seg = Segmenter(args.model, threads=args.threads)
    tiles, rows = [], []
    for set_name, path, share, rgb, person in shares(args.sets, seg):
        rows.append((set_name, path.stem, f"{share:.4f}"))
        if share > args.review:
            tiles.append(tile(rgb, person, f"{len(tiles)} {set_name}/{path.stem} {share:.2f}"))
    with open(args.out / "shares.csv", "w", newline="") as f:
        csv.writer(f).writerows([("set", "name", "share"), *rows])
    for n in range(0, len(tiles), args.per_sheet):
        chunk = tiles[n : n + args.per_sheet]
        sheet = Image.new("RGB", (COLUMNS * TILE, -(-len(chunk) // COLUMNS) * TILE))
        for i, t in enumerate(chunk):
            sheet.paste(t, ((i % COLUMNS) * TILE, (i // COLUMNS) * TILE))
        sheet.save(args.out / f"sheet-{n // args.per_sheet:02d}.png")
    print(f"{len(rows)} photos, {len(tiles)} above {args.review:.0%} person share: {args.out}")


if __name__ == "__main__":
    main()
