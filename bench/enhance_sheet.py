"""Before/after contact sheets of ``--enhance auto`` on real shop photos, to grade by eye.

    python bench/enhance_sheet.py DIR... -o OUT [--every N] [--side 640]

Each photo (shrunk to --side px, every Nth of a folder) is cut out with the default model; the
photos that enhancement changed are shown as pairs, the cutout on white before | after, 12 pairs
a sheet (OUT/sheet-NN.png), each labelled with its number and what was done; OUT/report.tsv
lists every photo with the report, and the summary counts why the others were left alone.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from skucut.enhance import STEPS, enhance_line, enhance_photo
from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, predict_alpha

THUMB = 300
PER_SHEET = 12


def on_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha[..., None].astype(np.float32) / 255
    return np.round(rgb * a + 255 * (1 - a)).astype(np.uint8)


def thumb(rgb: np.ndarray) -> Image.Image:
    image = Image.fromarray(rgb)
    image.thumbnail((THUMB, THUMB), Image.LANCZOS)
    canvas = Image.new("RGB", (THUMB, THUMB), (255, 255, 255))
    canvas.paste(image, ((THUMB - image.width) // 2, (THUMB - image.height) // 2))
    return canvas


def write_sheets(pairs: list[tuple[str, np.ndarray, np.ndarray, str]], out: Path) -> None:
    cols = 2  # two pairs a row: before | after, before | after
    for start in range(0, len(pairs), PER_SHEET):
        chunk = pairs[start : start + PER_SHEET]
        rows = (len(chunk) + cols - 1) // cols
        sheet = Image.new("RGB", (cols * (2 * THUMB + 20), rows * (THUMB + 34)), (200, 200, 200))
        draw = ImageDraw.Draw(sheet)
        for i, (label, before, after, note) in enumerate(chunk):
            x, y = (i % cols) * (2 * THUMB + 20), (i // cols) * (THUMB + 34)
            sheet.paste(thumb(before), (x, y + 30))
            sheet.paste(thumb(after), (x + THUMB + 4, y + 30))
            draw.text((x + 2, y + 2), f"{start + i + 1}. {label}", fill=(0, 0, 0))
            draw.text((x + 2, y + 15), note[:95], fill=(60, 0, 0))
        sheet.save(out / f"sheet-{start // PER_SHEET + 1:02d}.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folders", nargs="+")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--every", type=int, default=1, help="every Nth photo of a folder")
    ap.add_argument("--side", type=int, default=640)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reports, pairs, lines = [], [], []
    for folder in args.folders:
        files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".jpg", ".png"))
        for path in files[:: args.every]:
            rgb = decode_image(path.read_bytes()).rgb
            scale = min(1.0, args.side / max(rgb.shape[:2]))
            if scale < 1:
                size = (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale))
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            decoded = decode_image(cv2.imencode(".png", rgb[..., ::-1])[1].tobytes())
            alpha, _ = predict_alpha(decoded, RemoveOptions())
            after, report = enhance_photo(rgb, alpha, frozenset(STEPS))
            reports.append(report)
            lines.append(f"{path}\t{report.summary()}")
            if report.changed:
                pairs.append((path.name, on_white(rgb, alpha), on_white(after, alpha),
                              report.summary()))  # fmt: skip
            print(f"{path.name}: {report.summary()}", flush=True)
    write_sheets(pairs, out)
    (out / "report.tsv").write_text("\n".join(lines) + "\n")
    print(f"{len(reports)} photos; {enhance_line(reports)}; {len(pairs)} pairs on the sheets")


if __name__ == "__main__":
    main()
