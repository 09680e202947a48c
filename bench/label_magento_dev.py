"""magento-dev: label the studio photos of the dev SKUs with classical tools (no learned model).

    python bench/label_magento_dev.py [--data ../shared/data] [-o runs/data/magento-dev] \
        [--sheet runs/data/magento-dev-sheets]

Reads `photos-unlabeled/magento/SKU-colour_view.jpg` for the SKU prefixes listed in
configs/splits/magento-dev-skus.txt and writes `images/NAME.jpg` (the photo, byte for byte) and
`masks/NAME.png` (255 subject, 0 background, 128 unknown; the photo's size), plus contact sheets
(photo | mask over the photo) to check every mask by eye.

Convention (issue 23's default): the model wearing the clothes is foreground, whole (face, hair,
skin, hands), as are the clothes and products; the white studio backdrop, its shadows and the
see-through gaps (between arm and body, between the legs, inside a bag's handle) are background.

How, per photo:
1. The backdrop is clipped studio white, so its colour is read from the border (Lab).
2. Flood fill with a local tolerance: from backdrop-white seeds (at the border, and enclosed
   regions big enough to be a see-through gap) through neutral, light pixels whose neighbours
   differ little. Soft shadows fade in gently and are reached; a white sole or collar is one
   step (an edge) away from the backdrop and is not.
3. A watershed on the Lab gradient decides a 3 px ring around the filled backdrop, so the
   edge lands on the strongest transition (about the 50 % point of the anti-aliased edge).
4. Clean-up: keep the subject's big components, fill holes that hold no backdrop white.
5. 128: a band 1 px either side of the edge, widened where the edge is mixed over several
   pixels (wispy hair, blur); grey contact shadows under a lifted shoe (and pale soles, which
   the pixels do not tell from them); boxes around white sneakers on the white floor.
Close-up crops with under 10 % backdrop are left out (printed with the reason).

Numbers (55 photos, 3 close-ups left out): see the closing note of issue 23 item 3;
`skucut eval --model M --data runs/data/magento-dev [--refine fast --cleanup]` reproduces them.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage as ndi
from skimage.segmentation import watershed

REPO = Path(__file__).resolve().parent.parent
SKUS = REPO / "configs" / "splits" / "magento-dev-skus.txt"

# Close-up crops where the garment fills the frame have almost no outline to label (and every
# system fails them, issue 23): a photo whose backdrop is under this share is left out.
MIN_BACKDROP = 0.10

# White sneakers on the white floor: in places their outline is not in the pixels (the flood
# runs into them), so these boxes (x0, y0, x1, y1; one a shoe and its contact shadow, read
# off a 50 px grid) are 128 wherever the subject does not already cover them.
WHITE_ON_WHITE: dict[str, list[tuple[int, int, int, int]]] = {
    "msh03-black_main": [(135, 625, 245, 762), (340, 630, 448, 758)],
    "msh03-blue_main": [(135, 625, 245, 762), (340, 630, 448, 762)],
    "msh03-green_main": [(135, 625, 245, 762), (340, 632, 435, 762)],
    "msh03-blue_back": [(145, 612, 240, 718), (325, 625, 418, 748)],
}

BG_TOL = 4.0  # Lab distance from the backdrop that is surely backdrop (JPEG noise ~1-2)
STEP = 12.0  # the flood crosses no Lab gradient (Sobel) above this: about 1.5 L a pixel
RING = 3  # px around the filled backdrop that the watershed decides
FG_TOL = 18.0  # Lab distance of a fully opaque subject pixel at least (for the 128 band)
GAP_MIN_AREA = 80  # an enclosed backdrop-white region at least this big is a see-through gap
SHADOW_DROP = 25.0  # shadows are at most this much darker (L) than the backdrop
SHADOW_CHROMA = 5.0  # ... and about as neutral as it
FLOOR_BAND = 0.06  # share of the height above the lowest subject pixel where shoes stand
CONTACT_CHROMA = (
    7.0  # contact shadows are grey (tinted a little by the shoe), skin and navy are not
)
CONTACT_MIN_L = 45.0  # and lighter than a black shoe
KEEP_FRACTION = 0.002  # subject components smaller than this share of the photo are specks


def sku_of(name: str) -> str:
    return re.split(r"[-_]", name, maxsplit=1)[0]


def dev_photos(data: Path) -> list[Path]:
    skus = set(SKUS.read_text().split())
    folder = data / "photos-unlabeled" / "magento"
    return sorted(p for p in folder.glob("*.jpg") if sku_of(p.name) in skus)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)


def backdrop_colour(lab: np.ndarray) -> np.ndarray:
    """The border's bright pixels' median: studio white, whatever the subject touches."""
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    bright = border[border[:, 0] > 90]
    return np.median(bright, axis=0) if len(bright) else np.array([100.0, 0, 0], np.float32)


def touching_border(mask: np.ndarray) -> np.ndarray:
    labels, _ = ndi.label(mask)
    ids = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return np.isin(labels, ids[ids > 0])


def gradient(lab: np.ndarray) -> np.ndarray:
    smooth = cv2.GaussianBlur(lab, (0, 0), 0.8)
    total = np.zeros(lab.shape[:2], np.float32)
    for c in range(3):
        gx = cv2.Sobel(smooth[..., c], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(smooth[..., c], cv2.CV_32F, 0, 1, ksize=3)
        total += gx * gx + gy * gy
    return np.sqrt(total)


def reached(seeds: np.ndarray, passable: np.ndarray) -> np.ndarray:
    """The passable pixels connected to a seed: a flood fill from the seeds."""
    labels, _ = ndi.label(passable | seeds)
    ids = np.unique(labels[seeds])
    return np.isin(labels, ids[ids > 0])


def label(rgb: np.ndarray, unknown_boxes=()) -> np.ndarray:
    lab = to_lab(rgb)
    bg = backdrop_colour(lab)
    distance = np.linalg.norm(lab - bg, axis=2)
    near = distance < BG_TOL
    # Seeds: backdrop white at the border, and enclosed backdrop-white regions big enough to
    # be a see-through gap (between arm and body, between the legs) rather than a print.
    labels, n = ndi.label(near)
    sizes = ndi.sum(near, labels, index=np.arange(1, n + 1))
    gaps = np.isin(labels, 1 + np.where(sizes >= GAP_MIN_AREA)[0])
    seeds = touching_border(near) | gaps
    # Flood fill with a local tolerance: from the seeds through neutral, light pixels whose
    # neighbours differ little. Shadows fade in gently and are reached; a white sole, collar
    # or shoe is one step (an edge) away from the backdrop and is not.
    grad = gradient(lab)
    chroma = np.hypot(lab[..., 1] - bg[1], lab[..., 2] - bg[2])
    passable = (chroma < SHADOW_CHROMA) & (lab[..., 0] > bg[0] - SHADOW_DROP) & (grad < STEP)
    backdrop = reached(seeds, passable)
    # The watershed decides a ring around the filled backdrop: the edge lands on the
    # strongest transition (about the 50 % point of the anti-aliased edge).
    markers = np.zeros(near.shape, np.int32)
    markers[ndi.binary_erosion(backdrop, iterations=1)] = 1
    markers[~ndi.binary_dilation(backdrop, iterations=RING)] = 2
    region = watershed(grad, markers) == 2
    region = keep_subject(region, seeds)
    mask = with_unknown_band(region, distance)
    mask[contact_shadow(lab, region, backdrop)] = 128
    for x0, y0, x1, y1 in unknown_boxes:
        box = mask[y0:y1, x0:x1]
        box[box == 0] = 128
    return mask


def contact_shadow(lab: np.ndarray, region: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """Grey, neutral pixels kept as subject at the feet, reached from the backdrop: the dark
    shadow under a lifted shoe or a pale sole, which the pixels do not tell apart (128)."""
    rows = np.where(region.any(axis=1))[0]
    if not len(rows) or rows[-1] >= region.shape[0] - 2:  # no feet in the photo
        return np.zeros_like(region)
    floor = np.zeros_like(region)
    floor[int(rows[-1] - FLOOR_BAND * region.shape[0]) :] = True
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    grey = floor & region & (chroma < CONTACT_CHROMA) & (lab[..., 0] > CONTACT_MIN_L)
    return reached(ndi.binary_dilation(backdrop, iterations=2) & grey, grey)


def keep_subject(region: np.ndarray, sure_bg: np.ndarray) -> np.ndarray:
    labels, n = ndi.label(region)
    if n:
        sizes = ndi.sum(region, labels, index=np.arange(1, n + 1))
        region = np.isin(labels, 1 + np.where(sizes >= KEEP_FRACTION * region.size)[0])
    holes = ndi.binary_fill_holes(region) & ~region
    hole_labels, n = ndi.label(holes)
    for i in range(1, n + 1):  # fill holes that are not backdrop (dark seams, shading)
        hole = hole_labels == i
        if not (hole & sure_bg).any():
            region |= hole
    return region


def with_unknown_band(region: np.ndarray, distance: np.ndarray) -> np.ndarray:
    mask = np.where(region, 255, 0).astype(np.uint8)
    edge = region ^ ndi.binary_erosion(region, border_value=1)  # the frame is no edge
    edge |= ndi.binary_dilation(region) & ~region
    # Mixed edges: a pixel's share of subject colour, against the nearby subject's distance.
    local_fg = ndi.maximum_filter(np.where(region, distance, 0), size=9)
    share = distance / np.maximum(local_fg, FG_TOL)
    mixed = (share > 0.2) & (share < 0.8) & ndi.binary_dilation(edge, iterations=2)
    mixed = ndi.binary_opening(mixed, iterations=1)  # lone mixed pixels are only noise
    mask[edge | mixed] = 128
    return mask


def overlay(rgb: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Background tinted magenta, 128 yellow, the subject as it is."""
    out = rgb.astype(np.float32)
    out[mask == 0] = 0.35 * out[mask == 0] + 0.65 * np.array([255, 0, 255])
    out[mask == 128] = [255, 230, 0]
    return out.astype(np.uint8)


def contact_sheets(pairs, folder: Path, per_sheet: int = 8, tile: int = 360) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(pairs), per_sheet):
        batch = pairs[start : start + per_sheet]
        cols = 4  # two photo | overlay pairs per row
        rows = (len(batch) + 1) // 2
        sheet = Image.new("RGB", (cols * tile, rows * (tile + 16)), (30, 30, 30))
        draw = ImageDraw.Draw(sheet)
        for i, (name, rgb, mask) in enumerate(batch):
            x, y = (i % 2) * 2 * tile, (i // 2) * (tile + 16)
            for j, pixels in enumerate((rgb, overlay(rgb, mask))):
                im = Image.fromarray(pixels)
                im.thumbnail((tile, tile))
                sheet.paste(im, (x + j * tile, y + 16))
            share = (mask == 128).mean() * 100
            draw.text((x + 4, y + 2), f"{name}  128: {share:.1f}%", fill="white")
        sheet.save(folder / f"{start // per_sheet + 1:02d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("-o", "--output", type=Path, default=REPO / "runs/data/magento-dev")
    parser.add_argument("--sheet", type=Path, help="also write contact sheets here")
    parser.add_argument("--only", nargs="+", help="only these photo stems (to tune a rule)")
    args = parser.parse_args()
    (args.output / "images").mkdir(parents=True, exist_ok=True)
    (args.output / "masks").mkdir(parents=True, exist_ok=True)
    pairs, excluded = [], []
    for path in dev_photos(args.data):
        if args.only and path.stem not in args.only:
            continue
        rgb = np.asarray(Image.open(path).convert("RGB"))
        mask = label(rgb, WHITE_ON_WHITE.get(path.stem, ()))
        backdrop = np.mean(mask == 0)
        if backdrop < MIN_BACKDROP:
            excluded.append(path.stem)
            print(f"excluded {path.stem}: close-up crop, the garment fills the frame "
                  f"(backdrop {backdrop:.1%})")  # fmt: skip
            continue
        shutil.copyfile(path, args.output / "images" / path.name)
        Image.fromarray(mask, "L").save(args.output / "masks" / f"{path.stem}.png")
        pairs.append((path.stem, rgb, mask))
        print(f"{path.stem}: subject {np.mean(mask == 255):.3f}  128 {np.mean(mask == 128):.3f}")
    if args.sheet:
        contact_sheets(pairs, args.sheet)
    print(f"{len(pairs)} labelled -> {args.output}/ ({len(excluded)} excluded)")


if __name__ == "__main__":
    main()
