"""Blind by-eye grading of two (or more) models: photo | cutouts in shuffled columns.

    python bench/blind_sheet.py ../shared/data/photos-unlabeled/products \
        [runs/data/magento-dev/images] -o runs/blind/sheets --key runs/blind/key.json \
        [--models skucut-fast-v1 skucut-quality-v1] [--seed 0] [--per-sheet 6]
    python bench/blind_sheet.py --score runs/blind/sheets/grades.csv --key runs/blind/key.json

Each row is one photo (thumbnail files left out: they repeat listing photos), then each model's
cutout as `skucut remove` writes it (refine, clean-up, decontamination) on a light checkerboard,
in an order shuffled per row and labelled only A, B, ... The key (which letter is which model,
per photo) goes to its own file, so keep it out of the grader's sight until the grades are in.

The sheets folder also gets grades.csv to fill in, one line per photo and column:
grade = p (publishable as it comes) | f (fixable in a minute) | n (not publishable), and
face_holed = y | n (a face, head or limb holed or faded). --score joins it with the key and
prints, per model, the counts and shares of each grade, the holed faces, and photo by photo
which model was graded better.

Cutouts are cached per model as RGBA PNGs (next to the key, `cutouts/MODEL/`), so a new model
can be graded against an old one without running the old one again.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from grade_sheets import on_checkerboard  # a bench/ sibling: bench/ is on sys.path when run
from skucut.io import decode_image
from skucut.io.decode import IMAGE_EXTS
from skucut.pipeline import RemoveOptions, render

TILE, LABEL = 300, 18
GRADES = {"p": "publishable", "f": "fixable", "n": "not publishable"}
RANK = {"p": 2, "f": 1, "n": 0}


def list_photos(folders: list[Path]) -> list[Path]:
    photos = []
    for folder in folders:
        photos += sorted(
            p for p in folder.iterdir()
            if p.suffix.lower() in IMAGE_EXTS and "thumbnail" not in p.name
        )  # fmt: skip
    return photos


def photo_id(path: Path) -> str:
    """FOLDER/STEM, the folder being the data set's (magento-dev/NAME, not images/NAME)."""
    folder = path.parent.parent if path.parent.name == "images" else path.parent
    return f"{folder.name}/{path.stem}"


def cutout(path: Path, model: str, cache: Path) -> Image.Image:
    """The model's cutout of one photo (RGBA), from the cache when it is there."""
    name = Path(model).parent.name if model.endswith(".onnx") else model
    cached = cache / name / f"{photo_id(path).replace('/', '-')}.png"
    if cached.exists():
        return Image.open(cached)
    decoded = decode_image(path)
    pixels, alpha, _ = render(decoded, RemoveOptions(model=model))
    image = Image.fromarray(np.dstack([pixels, alpha]), "RGBA")
    cached.parent.mkdir(parents=True, exist_ok=True)
    image.save(cached)
    return image


def tile(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA":
        rgba = np.asarray(image)
        image = Image.fromarray(on_checkerboard(rgba[..., :3], rgba[..., 3]))
    image = image.convert("RGB")
    image.thumbnail((TILE, TILE))
    canvas = Image.new("RGB", (TILE, TILE), (60, 60, 60))
    canvas.paste(image, ((TILE - image.width) // 2, (TILE - image.height) // 2))
    return canvas


def make_sheets(args) -> None:
    photos = list_photos(args.folders)
    if not photos:
        sys.exit("no photos found")
    letters = [chr(ord("A") + i) for i in range(len(args.models))]
    rng = random.Random(args.seed)
    cache = args.key.parent / "cutouts"
    args.output.mkdir(parents=True, exist_ok=True)
    key, grade_rows = {"models": args.models, "seed": args.seed, "photos": {}}, []
    width = (1 + len(letters)) * TILE
    for start in range(0, len(photos), args.per_sheet):
        batch = photos[start : start + args.per_sheet]
        number = start // args.per_sheet + 1
        sheet = Image.new("RGB", (width, len(batch) * (TILE + LABEL)), (30, 30, 30))
        draw = ImageDraw.Draw(sheet)
        for row, path in enumerate(batch):
            name = photo_id(path)
            order = list(args.models)
            rng.shuffle(order)
            key["photos"][name] = dict(zip(letters, order, strict=True))
            y = row * (TILE + LABEL)
            sheet.paste(tile(Image.open(path)), (0, y + LABEL))
            draw.text((4, y + 3), name, fill="white")
            for col, (letter, model) in enumerate(zip(letters, order, strict=True), start=1):
                sheet.paste(tile(cutout(path, model, cache)), (col * TILE, y + LABEL))
                draw.text((col * TILE + 4, y + 3), letter, fill="yellow")
                grade_rows.append([number, name, letter, "", ""])
            print(f"sheet {number:02d} row {row + 1}: {name}", flush=True)
        sheet.save(args.output / f"{number:02d}.png")
    args.key.parent.mkdir(parents=True, exist_ok=True)
    args.key.write_text(json.dumps(key, indent=1) + "\n")
    grades = args.output / "grades.csv"
    if grades.exists():  # never overwrite grades someone has typed in
        grades = args.output / "grades-empty.csv"
    with open(grades, "w", newline="") as f:
        csv.writer(f).writerows([["sheet", "photo", "column", "grade", "face_holed"], *grade_rows])
    print(f"{len(photos)} photos on {number} sheets -> {args.output}/; grades: {grades}; "
          f"key (keep hidden): {args.key}")  # fmt: skip


def score(args) -> None:
    key = json.loads(args.key.read_text())
    models = key["models"]
    by_model = {m: Counter() for m in models}
    grade_of: dict[str, dict[str, str]] = {}
    with open(args.score, newline="") as f:
        for line in csv.DictReader(f):
            grade = line["grade"].strip().lower()[:1]
            if grade not in GRADES:
                sys.exit(f"{line['photo']} {line['column']}: grade {line['grade']!r} is not p/f/n")
            model = key["photos"].get(line["photo"], {}).get(line["column"])
            if model is None:
                sys.exit(f"{line['photo']} {line['column']}: not in the key (another sheet set?)")
            by_model[model][grade] += 1
            by_model[model]["holed"] += line["face_holed"].strip().lower().startswith("y")
            grade_of.setdefault(line["photo"], {})[model] = grade
    graded = [g for g in grade_of.values() if len(g) == len(models)]
    print(f"{len(graded)} photos graded blind ({len(grade_of) - len(graded)} incomplete left out)")
    print("| model | publishable | fixable | not publishable | face/head/limb holed |")
    print("|---|---|---|---|---|")
    for m in models:
        c, n = by_model[m], sum(by_model[m][g] for g in GRADES) or 1
        cells = [f"{c[g]} ({100 * c[g] / n:.0f}%)" for g in GRADES]
        print(f"| {m} | {' | '.join(cells)} | {c['holed']} |")
    for i, a in enumerate(models):
        for b in models[i + 1 :]:
            better = sum(RANK[g[b]] > RANK[g[a]] for g in graded)
            worse = sum(RANK[g[b]] < RANK[g[a]] for g in graded)
            print(f"{b} graded better than {a} on {better} photos, worse on {worse}, "
                  f"same on {len(graded) - better - worse}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path, help="photo folders")
    parser.add_argument("-o", "--output", type=Path, default=Path("runs/blind/sheets"))
    parser.add_argument("--key", type=Path, default=Path("runs/blind/key.json"))
    parser.add_argument("--models", nargs="+", default=["skucut-fast-v1", "skucut-quality-v1"])
    parser.add_argument("--seed", type=int, default=0, help="column shuffle seed (default: 0)")
    parser.add_argument("--per-sheet", type=int, default=6, help="rows a sheet (default: 6)")
    parser.add_argument("--score", type=Path, metavar="GRADES", help="count a filled grades.csv")
    args = parser.parse_args()
    if args.score:
        score(args)
    elif not args.folders or len(args.models) < 2:
        parser.error("give photo folders and at least two --models (or --score GRADES)")
    else:
        make_sheets(args)


if __name__ == "__main__":
    main()
