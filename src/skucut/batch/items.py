"""What a batch run processes: one Item per input image, from a folder, glob or manifest.

A manifest is CSV or JSONL with a ``path`` (or ``uri``) column; optional ``output`` (name
relative to the output root) and any option of ``skucut remove`` (``preset``, ``bg_color``,
``format``, ...) per item.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from skucut.batch.storage import is_local, list_images, read_bytes
from skucut.io.decode import IMAGE_EXTS

MANIFEST_EXTS = (".csv", ".jsonl")


@dataclass(frozen=True)
class Item:
    source: str  # path or URI of the input image
    output: str  # output name relative to the output root, without extension
    options: dict = field(default_factory=dict)  # per-item overrides of the run's options


def _relative_stem(path: str, root: str) -> str:
    rel = path[len(root) :].lstrip("/") if path.startswith(root) else PurePosixPath(path).name
    return str(PurePosixPath(rel).with_suffix(""))


def from_manifest(uri: str) -> list[Item]:
    text = read_bytes(uri).decode("utf-8-sig")
    if uri.endswith(".jsonl"):
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    items = []
    for n, row in enumerate(rows, 1):
        row = {k.strip(): v for k, v in row.items() if v not in (None, "")}
        source = row.pop("path", None) or row.pop("uri", None)
        if not source:
            raise ValueError(f"{uri}: row {n} has no 'path' or 'uri'")
        output = row.pop("output", None) or PurePosixPath(source).stem
        items.append(Item(source, str(PurePosixPath(output).with_suffix("")), row))
    return items


def collect_items(inputs: list[str]) -> list[Item]:
    """Items for folders, globs, single files and manifests, in a stable order."""
    items: list[Item] = []
    for entry in inputs:
        if entry.lower().endswith(MANIFEST_EXTS):
            items += from_manifest(entry)
            continue
        files = list_images(entry, IMAGE_EXTS)
        root = entry.rstrip("/") if not any(c in entry for c in "*?[") else ""
        if is_local(entry) and Path(entry).is_file():
            root = str(Path(entry).parent)
        if not files and is_local(entry):
            raise FileNotFoundError(f"no images found at {entry}")
        items += [Item(f, _relative_stem(f, root)) for f in files]
    counts = Counter(i.output for i in items)
    duplicates = sorted(o for o, n in counts.items() if n > 1)
    if duplicates:
        raise ValueError(f"several inputs would write the same output: {', '.join(duplicates[:5])}")
    return items
