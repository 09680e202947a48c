"""Product embeddings on shop photos: recall@1/5 of finding another photo of the same product,
with the background removed (the product on grey) and on the whole photo.

    python bench/embed_recall.py [PHOTOS] [--limit N] [--embedder E] [--model M] [--refine R]

Photos are named PRODUCT_VIEW.jpg (``012_3.jpg``, ``012_thumbnail.jpg``): several listing photos
per product. Some files are byte-for-byte the same picture under two names (a thumbnail that is
one of the photos); each such group is kept once, or finding it would be trivial. Every photo
with another photo of its product is a query; all other photos, of every product, compete.
Needs the embedding model: skucut export-embedder (once).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from skucut.embed import load_embedder, recall_at_k, view_for
from skucut.embed.recall import queries
from skucut.io import decode_image

PHOTOS = Path(__file__).resolve().parents[2] / "shared/data/photos-unlabeled/products"
SAME = 1.0  # mean |difference| of 16 px grey thumbnails (0-255) under which two files are one


def distinct_photos(folder: Path, limit: int | None) -> tuple[list[Path], int]:
    """The folder's photos of the first ``limit`` products, one file per duplicate group;
    and how many duplicates were left out."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if limit:
        products = sorted({product_id(p) for p in files})[:limit]
        files = [p for p in files if product_id(p) in products]
    kept, thumbs = [], []
    for path in files:
        thumb = np.asarray(Image.open(path).convert("L").resize((16, 16)), np.float32)
        if all(np.abs(thumb - other).mean() >= SAME for other in thumbs):
            kept.append(path)
            thumbs.append(thumb)
    return kept, len(files) - len(kept)


def product_id(path: Path) -> str:
    return path.stem.split("_")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="?", type=Path, default=PHOTOS)
    parser.add_argument("--limit", type=int, help="only the first N products (a quick check)")
    parser.add_argument("--embedder", help="embedding model name or .onnx (default shipped)")
    parser.add_argument("--model", help="segmentation model for the cutouts (default model)")
    parser.add_argument("--refine", default="guided", help="cutout edges (guided)")
    args = parser.parse_args()
    embedder = load_embedder(args.embedder)
    photos, duplicates = distinct_photos(args.photos, args.limit)
    groups = [product_id(p) for p in photos]
    decoded = [decode_image(p) for p in photos]
    print(
        f"{len(photos)} distinct photos of {len(set(groups))} products ({duplicates} duplicate "
        f"files left out); {queries(groups)} queries; embedder {embedder.cfg.name} "
        f"({embedder.cfg.encoder}, {embedder.cfg.dim}-d), cutouts: model {args.model or 'default'}"
        f", refine {args.refine}"
    )
    print(f"{'view':<24}{'R@1':>7}{'R@5':>7}  no product found")
    for label, cutout in (("product on grey", True), ("whole photo", False)):
        vectors, missed = [], 0
        for image in decoded:
            view, cut = view_for(image, embedder.cfg.input_size, cutout, args.model, args.refine)
            missed += cutout and not cut
            vectors.append(embedder.embed(view))
        recall = recall_at_k(np.stack(vectors), groups)
        found = str(missed) if cutout else "-"
        print(f"{label:<24}{recall[1]:>7.3f}{recall[5]:>7.3f}  {found}")


if __name__ == "__main__":
    main()
