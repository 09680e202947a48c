"""The segmentation model's own maps of photos with true edges: the edge refiner's real input.

skucut-refiner-v1 learnt from coarse maps made by degrading the truth, and lost to plain
upsampling: those are not the errors the shipped model makes (docs/refiner.md). A map pack
holds, per photo, what the refiner will see at use:

    PACK/images/KEY.jpg   the photo (a training photo as stored, or a studio composite)
    PACK/alpha/KEY.png    the true alpha of the subject (soft for a cutout, 0/255 for a mask)
    PACK/valid/KEY.png    where the label holds (only where a mask has void, 128)
    PACK/maps/KEY.png     the model's subject probability, upsampled bilinearly to the photo's
                          size as the pipeline does, x 255; or, with ``refine``, the alpha of
                          that refinement mode (``fast``: the graph cut's cut), for a refiner
                          that polishes a refined cut's edges

Photos: the accurate-mask training sets (MSRA, DAVIS) as they are, and the shared studio
cutouts with real soft alpha composited once each onto a studio sweep or a background photo
at shop-photo size (the model has to see the whole photo, so they cannot be made per crop).

    python -m skucut.data.edge_maps --model skucut-quality-v3 -o runs/data/refiner-maps
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from skucut.data.composite import load_backgrounds
from skucut.data.edges import IMAGE_EXTS, EdgeSource, _edges, _photo_crop, _product_alpha, _studio

DATA = "/work/shared/data"
COMPOSITE_SIDE = (900, 1600)  # the long side of a composite: shop photos, ~1000-1500 px
COMPOSITE_FILL = (0.55, 0.9)  # share of the long side the cutout covers


def _write_png(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def _model_map(segmenter, rgb: np.ndarray, refine: str | None) -> np.ndarray:
    if refine:
        from skucut.refine import refine_alpha

        prob = refine_alpha(rgb, segmenter.probability(rgb), refine, cleanup=True)
    else:
        prob = segmenter.predict(rgb)  # bilinear to the photo's size: what refinement starts from
    return (prob * 255 + 0.5).astype(np.uint8)


def _composite(rgba: np.ndarray, backgrounds, rng) -> tuple[np.ndarray, np.ndarray]:
    """A cutout placed on a studio sweep or a photo at shop-photo size -> (RGB, product alpha)."""
    h, w = rgba.shape[:2]
    side = int(rng.integers(*COMPOSITE_SIDE))
    scale = rng.uniform(*COMPOSITE_FILL) * side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    rgba = cv2.resize(rgba, size, interpolation=interp)
    aspect = rng.uniform(0.75, 1.33)
    canvas_h, canvas_w = (
        (side, round(side * aspect)) if rng.random() < 0.5 else (round(side / aspect), side)
    )
    canvas_h, canvas_w = max(canvas_h, size[1]), max(canvas_w, size[0])
    if rng.random() < 0.6 or not backgrounds:
        canvas = _studio((canvas_h, canvas_w), rng)
    else:
        canvas = _photo_crop(backgrounds, (canvas_h, canvas_w), rng)
    y = int(rng.integers(0, canvas_h - size[1] + 1))
    x = int(rng.integers(0, canvas_w - size[0] + 1))
    alpha = np.zeros((canvas_h, canvas_w), np.uint8)
    alpha[y : y + size[1], x : x + size[0]] = rgba[..., 3]
    fg = np.zeros((canvas_h, canvas_w, 3), np.float32)
    fg[y : y + size[1], x : x + size[0]] = rgba[..., :3] / 255.0
    a = alpha[..., None] / 255.0
    # The whole alpha, so a soft drop shadow darkens the backdrop as in a real photo; the
    # target keeps only the product (shadows are background for our users).
    image = np.clip(a * fg + (1 - a) * canvas, 0, 1)
    return (image * 255 + 0.5).astype(np.uint8), _product_alpha(alpha)


def build_map_pack(
    model: str,
    out: Path,
    pair_dirs: list[str],
    cutout_dirs: list[str],
    background_dirs: list[str],
    composites_per_cutout: int = 3,
    seed: int = 0,
    refine: str | None = None,
) -> int:
    """Write the pack (see the module's doc); returns the number of photos. Re-running skips
    photos already written, so a stopped build resumes."""
    from skucut.pipeline import load_segmenter

    segmenter = load_segmenter(model, threads=1)
    count = 0
    for root in map(Path, pair_dirs):
        for image_path in sorted((root / "images").iterdir()):
            mask_path = root / "masks" / f"{image_path.stem}.png"
            key = f"{root.name}-{image_path.stem}"
            if image_path.suffix.lower() not in IMAGE_EXTS or not mask_path.exists():
                continue
            if not (out / "maps" / f"{key}.png").exists():
                rgb = np.asarray(Image.open(image_path).convert("RGB"))
                mask = np.asarray(Image.open(mask_path).convert("L"))
                if mask.shape != rgb.shape[:2]:
                    continue
                (out / "images").mkdir(parents=True, exist_ok=True)
                shutil.copyfile(image_path, out / "images" / f"{key}{image_path.suffix.lower()}")
                alpha = np.where(mask > 128, 255, 0).astype(np.uint8)
                _write_png(out / "alpha" / f"{key}.png", alpha)
                if (mask == 128).any():
                    valid = np.where(mask == 128, 0, 255).astype(np.uint8)
                    _write_png(out / "valid" / f"{key}.png", valid)
                _write_png(out / "maps" / f"{key}.png", _model_map(segmenter, rgb, refine))
            count += 1
    backgrounds = load_backgrounds(background_dirs, max_side=1600)
    cutouts = [
        p
        for d in cutout_dirs
        for p in sorted(Path(d).rglob("*"))
        if p.suffix.lower() in (".png", ".webp")
    ]
    for index, path in enumerate(cutouts):
        for k in range(composites_per_cutout):
            key = f"cutout-{path.stem}-{k}"
            count += 1
            if (out / "maps" / f"{key}.png").exists():
                continue
            rng = np.random.default_rng([seed, index, k])
            rgb, alpha = _composite(np.asarray(Image.open(path).convert("RGBA")), backgrounds, rng)
            (out / "images").mkdir(parents=True, exist_ok=True)
            jpeg = out / "images" / f"{key}.jpg"
            Image.fromarray(rgb).save(jpeg, quality=int(rng.integers(80, 96)))
            rgb = np.asarray(Image.open(jpeg))  # what the model sees: the JPEG, as a shop's
            _write_png(out / "alpha" / f"{key}.png", alpha)
            _write_png(out / "maps" / f"{key}.png", _model_map(segmenter, rgb, refine))
    return count


def load_map_sources(packs: list[str | Path]) -> list[EdgeSource]:
    """The pack's photos as edge sources with the model's map as their coarse input. Crops are
    centred on the true outline and on the model's own outline (where its errors are)."""
    out = []
    for pack in map(Path, packs):
        for map_path in sorted((pack / "maps").glob("*.png")):
            key = map_path.stem
            image_path = next((pack / "images").glob(f"{key}.*"))
            rgb = np.asarray(Image.open(image_path).convert("RGB"))
            target = np.asarray(Image.open(pack / "alpha" / f"{key}.png"))
            coarse = np.asarray(Image.open(map_path))
            valid_path = pack / "valid" / f"{key}.png"
            weight = (
                (np.asarray(Image.open(valid_path)) > 0).astype(np.uint8)
                if valid_path.exists()
                else None
            )
            edges = np.concatenate([_edges(target, weight), _edges(coarse, weight)])
            if len(edges):
                out.append(EdgeSource(rgb, None, target, weight, edges, coarse))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the segmentation model whose maps to use")
    parser.add_argument("-o", "--out", required=True, type=Path)
    parser.add_argument("--pairs", nargs="+", default=[f"{DATA}/train/msra", f"{DATA}/train/davis"])
    parser.add_argument("--cutouts", nargs="+", default=[f"{DATA}/cutouts"])
    parser.add_argument("--backgrounds", nargs="+", default=[f"{DATA}/backgrounds"])
    parser.add_argument("--per-cutout", type=int, default=3, help="composites of each cutout")
    parser.add_argument("--refine", help="store this refinement mode's alpha, not the raw map")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    n = build_map_pack(
        args.model,
        args.out,
        args.pairs,
        args.cutouts,
        args.backgrounds,
        args.per_cutout,
        refine=args.refine,
    )
    print(f"{args.out}: {n} photos with {args.model}'s maps")


if __name__ == "__main__":
    main()
