"""Zoomed contact sheet of edges, one refinement against another, to look at by eye.

    python bench/edge_sheet.py PHOTO... -o sheet.jpg [--modes fast guided learned]
    python bench/edge_sheet.py PHOTO... -o sheet.jpg --modes --masks old=OLD/ new=NEW/

Per photo: where the first two cuts differ most along the outline, a window of the photo and
each cutout on a mid-grey checkerboard, enlarged 2x (nearest) so single pixels show: hair,
fabric fuzz, straps, white product on white. Cuts are this tree's refine modes and/or masks
written before (`skucut remove DIR -o OUT --mask`, by another tree or release: LABEL=OUT).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, predict_alpha
from skucut.refine import estimate_foreground

WINDOW = 160
ZOOM = 2


def _checker(h: int, w: int) -> np.ndarray:
    yy, xx = np.mgrid[:h, :w]
    return np.where(((yy // 8 + xx // 8) % 2)[..., None] == 0, 150, 110).astype(np.float32)


def _on_checker(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32)[..., None] / 255
    fg = estimate_foreground(rgb, alpha).astype(np.float32)
    return (fg * a + _checker(*alpha.shape) * (1 - a)).astype(np.uint8)


def _window(old: np.ndarray, new: np.ndarray) -> tuple[int, int]:
    """Top-left of the window where the two alphas differ most (a blurred difference map)."""
    diff = cv2.blur(np.abs(old.astype(np.float32) - new.astype(np.float32)), (WINDOW, WINDOW))
    h, w = old.shape
    y, x = np.unravel_index(np.argmax(diff), diff.shape)
    return (
        int(np.clip(y - WINDOW // 2, 0, max(0, h - WINDOW))),
        int(np.clip(x - WINDOW // 2, 0, max(0, w - WINDOW))),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="+")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--modes", nargs="*", default=["fast", "guided", "learned"])
    parser.add_argument("--model", default=None)
    parser.add_argument("--masks", nargs="*", default=[], metavar="LABEL=DIR",
                        help="also these cuts: DIR/STEM.png alpha masks, after the modes")  # fmt: skip
    args = parser.parse_args()
    masks = dict(item.split("=", 1) for item in args.masks)
    labels = args.modes + list(masks)
    rows = []
    for path in args.photos:
        decoded = decode_image(path)
        alphas = [
            predict_alpha(decoded, RemoveOptions(model=args.model, refine=mode))[0]
            for mode in args.modes
        ] + [
            cv2.imread(str(Path(folder) / f"{Path(path).stem}.png"), cv2.IMREAD_GRAYSCALE)
            for folder in masks.values()
        ]
        y, x = _window(alphas[0], alphas[1])
        crop = (slice(y, y + WINDOW), slice(x, x + WINDOW))
        cells = [decoded.rgb[crop]] + [_on_checker(decoded.rgb[crop], a[crop]) for a in alphas]
        cells = [
            cv2.resize(c, (WINDOW * ZOOM, WINDOW * ZOOM), interpolation=cv2.INTER_NEAREST)
            for c in cells
        ]
        row = np.concatenate(
            [np.pad(c, ((2, 2), (2, 2), (0, 0)), constant_values=255) for c in cells], 1
        )
        label = f"{Path(path).name}  photo | {' | '.join(labels)}"
        cv2.putText(row, label, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1)
        rows.append(row)
    sheet = np.concatenate(rows, 0)
    cv2.imwrite(args.output, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 92])
    print(f"wrote {args.output}: {len(rows)} photos")


if __name__ == "__main__":
    main()
