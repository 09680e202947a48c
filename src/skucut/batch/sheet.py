"""The review contact sheet: one self-contained HTML page of the images a run flagged, each as
photo | cutout on a checkerboard | explain picture (outline, unsure areas, person map, parts
kept or dropped; skucut.explain), with the reasons and the confidence.

Thumbnails are embedded (WebP data: URIs, at most THUMB px a side) rather than linked: outputs
often live where a browser cannot follow a link (S3 without credentials, another machine's
disk), a run folder outside the output root breaks relative links, and one file can be mailed
or archived as it is. At most ``limit`` images, least confident first, keep the page to a few
tens of MB even for a 10,000-image run; review.csv lists every flagged image.
"""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor
from html import escape
from pathlib import Path

from PIL import Image

from skucut._files import write_atomic
from skucut.batch.state import Flagged, RunState
from skucut.batch.storage import read_bytes
from skucut.io import decode_image

SHEET_NAME = "review.html"
DEFAULT_LIMIT = 500
THUMB = 320  # px, the longer side
EXPLAIN_THUMB = 720  # the explain picture has three panels side by side
QUALITY = 80  # WebP keeps the cutout's alpha at a fraction of PNG's size
# Object storage is slow per request, not per byte, so a few are read at once; not more, as
# each may hold a decoded photo of up to 50 MP (about 300 MB with its copies).
READERS = 4

STYLE = """
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222 }
table { border-collapse: collapse }
th, td { border-bottom: 1px solid #ddd; padding: .5em; text-align: left; vertical-align: top }
img { display: block; max-width: 320px; max-height: 320px }
td.explain img { max-width: 720px }
ul { margin: 0; padding-left: 1.2em }
.checker { display: inline-block; line-height: 0;
  background: repeating-conic-gradient(#ccc 0 25%, #fff 0 50%) 0 0 / 16px 16px }
.name { font-family: monospace; word-break: break-all; max-width: 28em }
.missing { color: #a00 }
"""


def write_sheet(state: RunState, limit: int = DEFAULT_LIMIT) -> Path:
    """Write RUN/review.html for the run as it stands (an engine may still be running it)."""
    flagged = state.flagged(limit)
    root = state.config["output"]
    with ThreadPoolExecutor(READERS) as pool:
        rows = list(pool.map(lambda item: _row(item, root, state.dir), flagged))
    path = state.dir / SHEET_NAME
    write_atomic(path, _page(state, rows).encode())
    return path


def _thumbnail(uri: str, side: int = THUMB) -> str:
    """An <img> of ``uri`` bounded to ``side`` px, or why there is none."""
    try:
        decoded = decode_image(read_bytes(uri))  # as the model saw it: EXIF-turned, sRGB
    except Exception as exc:  # a moved or deleted file costs its picture, not the page
        return f'<p class="missing">could not read: {escape(str(exc))}</p>'
    image = Image.fromarray(decoded.rgb)
    if decoded.alpha is not None:
        image.putalpha(Image.fromarray(decoded.alpha))
    image.thumbnail((side, side))
    buffer = io.BytesIO()
    image.save(buffer, "WEBP", quality=QUALITY)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img src="data:image/webp;base64,{data}" alt="{escape(uri)}">'


def _row(item: Flagged, output_root: str, run_dir: Path) -> str:
    from skucut.batch.worker import EXPLAIN_FOLDER, explain_uri

    try:  # written by a local run's worker for each flagged image (not by an older skucut)
        uri = explain_uri(str(run_dir / EXPLAIN_FOLDER), output_root, item.output_uri)
        read_bytes(uri)
        explain = _thumbnail(uri, EXPLAIN_THUMB)
    except (OSError, ValueError):
        explain = "<p>no picture</p>"
    reasons = "".join(f"<li>{escape(r)}</li>" for r in item.reason.split("; ") if r)
    return (
        f"<tr><td>{_thumbnail(item.source)}</td>"
        f'<td><div class="checker">{_thumbnail(item.output_uri)}</div></td>'
        f'<td class="explain">{explain}</td>'
        f"<td>{item.confidence:.2f}</td><td><ul>{reasons}</ul></td>"
        f'<td class="name">{escape(item.source)}<br>&rarr; {escape(item.output_uri)}</td></tr>'
    )


def _notes(state: RunState, shown: int) -> list[str]:
    """What the page covers: how many were flagged, shown, not scored, still to do."""
    counts = state.counts()
    flagged, unscored = state.review_counts()
    notes = [f"{flagged} of {counts.get('done', 0)} done images need review."]
    if shown < flagged:
        notes.append(f"Showing the {shown} least confident; review.csv lists all of them.")
    if unscored:
        notes.append(f"{unscored} done images have no score (done by an earlier skucut).")
    left = counts.get("pending", 0) + counts.get("running", 0)
    if left:
        notes.append(f"The run is not finished: {left} images still to do.")
    return notes


def _page(state: RunState, rows: list[str]) -> str:
    notes = "".join(f"<p>{escape(note)}</p>" for note in _notes(state, len(rows)))
    if rows:
        header = (
            "<tr><th>photo</th><th>cutout</th><th>what the model saw</th><th>confidence</th>"
            "<th>why</th><th>files</th>"
        )
        body = f"<table>{header}</tr>{''.join(rows)}</table>"
    else:
        body = "<p><strong>No image in this run needs review.</strong></p>"
    title = escape(f"skucut review: {state.dir}")
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head>\n<body><h1>{title}</h1>{notes}\n{body}\n</body></html>\n"
    )
