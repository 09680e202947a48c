"""An HTML evaluation report: per-set metrics, the worst and a random sample of predictions.

Each example shows the photo, the prediction, the ground truth and an error overlay (red: the
model kept background, blue: it dropped product; grey: ignored pixels), so a person can see
where a model fails rather than only how much.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from skucut.metrics.evaluate import COLUMNS, _pairs, summarize

TILE = 240


def _tile(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    scale = TILE / max(h, w)
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))))
    out = np.full((TILE, TILE, 3), 32, np.uint8)
    out[: small.shape[0], : small.shape[1]] = small
    return out


def example_strip(rgb: np.ndarray, pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """photo | prediction | ground truth | errors, one RGB strip."""
    grey = lambda a: np.dstack([a] * 3)  # noqa: E731
    predicted = pred > 0.5
    truth, ignored = gt > 128, gt == 128
    errors = (rgb * 0.35).astype(np.uint8)
    errors[predicted & ~truth & ~ignored] = (230, 40, 40)  # background kept
    errors[~predicted & truth & ~ignored] = (40, 90, 230)  # product dropped
    errors[ignored] = (128, 128, 128)
    parts = [rgb, grey((pred * 255).astype(np.uint8)), grey(np.where(ignored, 128, gt)), errors]
    return np.hstack([_tile(p) for p in parts])


def write_report(
    predict: Callable[[np.ndarray], np.ndarray],
    results: dict[str, tuple[str, list[dict]]],
    out_dir: str | Path,
    title: str,
    n_worst: int = 8,
    n_random: int = 8,
    seed: int = 0,
) -> Path:
    """``results``: dataset name -> (folder, per-image rows from evaluate_dataset)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for name, (root, rows) in results.items():
        summary = summarize(rows)
        paths = {p.stem: (p, m) for p, m in _pairs(Path(root))}
        by_iou = sorted(rows, key=lambda r: r["iou"])
        worst = by_iou[:n_worst]
        rest = by_iou[n_worst:]
        rng = np.random.default_rng(seed)
        sample = [rest[i] for i in rng.choice(len(rest), min(n_random, len(rest)), replace=False)]
        blocks = []
        for label, chosen in (("worst IoU", worst), ("random sample", sample)):
            figures = []
            for row in chosen:
                image_path, mask_path = paths[row["name"]]
                rgb = cv2.cvtColor(cv2.imread(str(image_path)), cv2.COLOR_BGR2RGB)
                gt = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
                strip = example_strip(rgb, predict(rgb), gt)
                file = f"{name}-{row['name']}.jpg"
                cv2.imwrite(str(out / file), cv2.cvtColor(strip, cv2.COLOR_RGB2BGR))
                caption = f"{html.escape(row['name'])}: IoU {row['iou']:.3f}, BF1 {row['boundary_f1']:.3f}"
                figures.append(
                    f'<figure><img src="{file}" alt="{caption}" loading="lazy">'
                    f"<figcaption>{caption}</figcaption></figure>"
                )
            blocks.append(f"<h3>{label}</h3>" + "".join(figures))
        cells = "".join(f"<td>{summary[c]:.4f}</td>" for c in COLUMNS)
        sections.append((name, len(rows), cells, "".join(blocks)))
    head = "".join(f"<th>{c}</th>" for c in COLUMNS)
    table = "".join(f"<tr><td>{n}</td><td>{k}</td>{cells}</tr>" for n, k, cells, _ in sections)
    body = "".join(f"<h2>{n}</h2>{blocks}" for n, _, _, blocks in sections)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>
body{{font-family:system-ui,sans-serif;margin:1.5rem}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}}
figure{{display:inline-block;margin:.4rem}} figcaption{{font-size:.8rem}}
</style></head><body><h1>{html.escape(title)}</h1>
<p>Each example: photo | prediction | ground truth | errors (red: background kept,
blue: product dropped, grey: ignored).</p>
<table><tr><th>dataset</th><th>n</th>{head}</tr>{table}</table>{body}</body></html>"""
    index = out / "index.html"
    index.write_text(page)
    return index
