"""Product-only mode measured: IoU as cut on a labelled set whose masks count people as
background (products-dev), and a contact sheet of worn or held products to judge by eye.

    python bench/product_only.py --model skucut-quality-v2 [--data DIR] [--people 0.02]
    python bench/product_only.py --model skucut-quality-v2 --sheet sheet.jpg \\
        --photos /work/shared/data/photos-unlabeled [--limit 40]

Table: IoU (and the share of images with IoU >= 0.85) of the default cutout and the
product-only one, over the whole set and over its photos with a person (the model's person
map covering more than ``--people`` of its subject, plus any named with --with-people), and
one row per photo with a person. The sheet: photo | default cutout | product-only cutout (on a
checkerboard), for the photos in ``--photos`` where the model sees a person.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from skucut.io import decode_image
from skucut.io.decode import IMAGE_EXTS
from skucut.metrics.evaluate import _pairs
from skucut.metrics.measures import iou
from skucut.pipeline import RemoveOptions, load_segmenter, predict_alpha

DEV = Path(__file__).resolve().parents[2] / "shared/data/eval"
NAMED = ("039_2", "041_1", "041_4", "042_1", "048_1")  # photos with people (issue 27)


def person_share(model: str | None, rgb: np.ndarray) -> float:
    maps = load_segmenter(model).maps(rgb)
    subject = maps["subject"] > 0.5
    return float(((maps["person"] > 0.5) & subject).sum() / max(1, subject.sum()))


def table(args) -> None:
    plain = RemoveOptions(model=args.model)
    alone = RemoveOptions(model=args.model, product_only=True)
    rows = []
    for image_path, mask_path in _pairs(args.data):
        if args.only and image_path.stem not in args.only:
            continue
        decoded = decode_image(image_path)
        gt = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
        alpha, review = predict_alpha(decoded, alone)
        # The person's share of the subject, from the same forward pass (the product
        # probability is the subject without the person).
        person = review.evidence.person > 0.5
        share = float(person.sum() / max(1, (person | (review.evidence.subject > 0.5)).sum()))
        rows.append([image_path.stem, share, np.nan, iou(alpha.astype(np.float32) / 255, gt)])
        if share > args.people or rows[-1][0] in args.with_people:  # the default, for comparison
            rows[-1][2] = iou(predict_alpha(decoded, plain)[0].astype(np.float32) / 255, gt)
        print(*rows[-1], flush=True)
    people = [r for r in rows if r[1] > args.people or r[0] in args.with_people]
    print(f"model {args.model}, {args.data.name}, as cut (refine fast, clean-up)")
    print(
        "| images | n | IoU default (photos with a person only) | IoU product-only | product-only IoU >= 0.85 |"
    )
    print("|---|---|---|---|---|")
    for name, subset in (("all", rows), ("with a person", people)):
        if subset:
            default = np.nanmean([r[2] for r in subset])
            only = np.array([r[3] for r in subset])
            print(f"| {name} | {len(subset)} | {default:.4f} | {only.mean():.4f} | "
                  f"{(only >= 0.85).sum()}/{len(subset)} |")  # fmt: skip
    print("\n| photo | person share of the subject | IoU default | IoU product-only |")
    print("|---|---|---|---|")
    for name, share, default, only in sorted(people):
        print(f"| {name} | {share:.1%} | {default:.3f} | {only:.3f} |")


def _checker(h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return np.where(((yy // 12 + xx // 12) % 2)[..., None] == 0, 230, 200).astype(np.float32)


def _on_checker(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None].astype(np.float32) / 255
    return (rgb * a + _checker(*alpha.shape) * (1 - a)).astype(np.uint8)


def sheet(args) -> None:
    photos = sorted(p for p in Path(args.photos).rglob("*") if p.suffix.lower() in IMAGE_EXTS)
    plain = RemoveOptions(model=args.model)
    alone = RemoveOptions(model=args.model, product_only=True)
    tiles = []
    for path in photos:
        try:
            decoded = decode_image(path)
        except Exception:
            continue
        small = cv2.resize(decoded.rgb, (320, 320 * decoded.rgb.shape[0] // decoded.rgb.shape[1]))
        if person_share(args.model, small) <= args.people:
            continue
        row = [decoded.rgb]
        for options in (plain, alone):
            alpha, _ = predict_alpha(decoded, options)
            row.append(_on_checker(decoded.rgb, alpha))
        side = 240
        h = round(side * decoded.rgb.shape[0] / decoded.rgb.shape[1])
        strip = np.hstack([cv2.resize(t, (side, h), interpolation=cv2.INTER_AREA) for t in row])
        cv2.putText(strip, path.name[:40], (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (200, 0, 0), 1)
        tiles.append(strip)
        print(path)
        if len(tiles) >= args.limit:
            break
    if not tiles:
        print("no photo with a person found")
        return
    width, height = max(t.shape[1] for t in tiles), max(t.shape[0] for t in tiles)
    pad = [np.pad(t, ((0, height + 6 - t.shape[0]), (0, width + 6 - t.shape[1]), (0, 0)),
                  constant_values=255) for t in tiles]  # fmt: skip
    pad += [np.full_like(pad[0], 255)] * (len(pad) % 2)
    out = np.vstack([np.hstack(pad[i : i + 2]) for i in range(0, len(pad), 2)])
    cv2.imwrite(
        str(args.sheet), cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85]
    )
    print(f"{len(tiles)} photos with a person -> {args.sheet}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", type=Path, default=DEV / "products-dev")
    parser.add_argument("--people", type=float, default=0.02)
    parser.add_argument("--with-people", nargs="*", default=list(NAMED))
    parser.add_argument("--only", nargs="*", help="measure only these photos (stems)")
    parser.add_argument("--sheet", type=Path, help="write a contact sheet instead of the table")
    parser.add_argument("--photos", type=Path, default=DEV.parent / "photos-unlabeled")
    parser.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    sheet(args) if args.sheet else table(args)


if __name__ == "__main__":
    main()
