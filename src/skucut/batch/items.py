"""What a batch run processes: one Item per input image, from a folder, glob or manifest.

A manifest is CSV or JSONL with a ``path`` (or ``uri``) column; optional ``output`` (name
relative to the output root) and any option of ``skucut remove`` (``preset``, ``bg_color``,
``format``, ...) per item. A manifest row may name a video: it is one item, cut by
``skucut.video.remove_video`` into ``OUTPUT.webm`` (alpha), ``OUTPUT.mp4`` (a background or
``mask``), or the video format its ``output`` names (``clip.mov``). Every item is checked
before the run starts, by the rules its worker will apply: a bad row or an unusable file
becomes a failed item with its reason and the rest of the run goes on; only several items
writing one output stop the run (none is wronger).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import posixpath
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import takewhile
from pathlib import Path, PurePosixPath

from skucut.batch.storage import file_key, is_local, join, list_images, read_bytes
from skucut.io.decode import IMAGE_EXTS
from skucut.pipeline import RemoveOptions
from skucut.video.run import video_options
from skucut.video.sink import EXTENSIONS as VIDEO_OUTPUT_EXTS
from skucut.video.source import VIDEO_EXTS

MANIFEST_EXTS = (".csv", ".jsonl")
SOURCE_KEYS = ("path", "uri")
# A row may set what the CLI can; max_pixels is a safety limit, not a per-image choice.
OPTION_KEYS = frozenset(
    {f.name for f in dataclasses.fields(RemoveOptions)} - {"max_pixels"} | {"preset", "preset_file"}
)


@dataclass(frozen=True)
class Item:
    source: str  # path or URI of the input image
    output: str  # output name relative to the output root, without extension
    options: dict = field(default_factory=dict)  # per-item overrides of the run's options
    error: str | None = None  # why it can never be done: reported as failed, never tried


def item_options(base: dict, overrides: dict) -> RemoveOptions:
    """The options one item runs with: the run's, then the item's own."""
    given = {**base, **overrides}
    return RemoveOptions.build(given.pop("preset", None), given.pop("preset_file", None), **given)


def is_video(source: str) -> bool:
    return PurePosixPath(source).suffix.lower() in VIDEO_EXTS


def output_uri(root: str, output: str, options: RemoveOptions, source: str = "") -> str:
    """Where an item's output goes: the image format's extension, or a video's (the one its
    output names, else .mp4 for an opaque result and .webm, which keeps alpha)."""
    if not is_video(source):
        return join(root, f"{output}.{options.extension}")
    if PurePosixPath(output).suffix.lower() in VIDEO_OUTPUT_EXTS:
        return join(root, output)
    opaque = options.mask or options.bg_color is not None or bool(options.bg_image)
    return join(root, f"{output}.{'mp4' if opaque else 'webm'}")


def _has_magic(part: str) -> bool:
    return any(c in part for c in "*?[")


def _root(entry: str) -> str:
    """The folder outputs are named from: the folder itself, a file's folder, or a glob's fixed
    leading folders (so '../shop/*.jpg' gives 'x.png', never '../shop/x.png')."""
    if is_local(entry):
        entry = entry.removeprefix("file://")  # local listings name files without it
    parts = entry.rstrip("/").split("/")
    fixed = list(takewhile(lambda p: not _has_magic(p), parts))
    if len(fixed) < len(parts):
        return "/".join(fixed) or ("/" if entry.startswith("/") else "")
    if is_local(entry) and not Path(entry).is_dir():
        return str(Path(entry).parent)
    return entry.rstrip("/")


def _relative_stem(path: str, root: str) -> str:
    if is_local(path):
        rel = os.path.relpath(path, root or ".")
    elif root and path.startswith(root.rstrip("/") + "/"):
        rel = path[len(root.rstrip("/")) + 1 :]
    else:
        rel = PurePosixPath(path).name
    return posixpath.splitext(rel)[0]


def _without_image_ext(output: str) -> str:
    """'shop/first.jpg' -> 'shop/first' (the format adds its own); 'sku.v2' stays whole."""
    stem, ext = posixpath.splitext(output)
    return stem if ext.lower() in IMAGE_EXTS else output


def _listed(entry: str) -> list[Item]:
    found = list_images(entry, IMAGE_EXTS)
    if not found and is_local(entry):
        raise FileNotFoundError(f"no images found at {entry}")
    root = _root(entry)
    return [Item(f, _relative_stem(f, root), error=problem) for f, problem in found]


def _source(row: dict) -> str | None:
    source = next((row[k] for k in SOURCE_KEYS if k in row), None)
    return source if isinstance(source, str) else None


def _columns(raw: dict | str) -> dict:
    """A row's given columns; a JSONL line arrives as text, so a bad line fails alone."""
    row = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(row, dict):
        raise ValueError(f"expected an object of columns, got {raw!r:.80}")
    if None in row:  # csv.DictReader files the cells past the header under None
        raise ValueError("more cells than the header has columns")
    return {k.strip(): v for k, v in row.items() if v not in (None, "")}


def _item_from_row(row: dict) -> Item:
    source = _source(row)
    if not source:
        raise ValueError("no 'path' or 'uri' given")
    output = row.get("output") or PurePosixPath(source).stem
    if not isinstance(output, str):
        raise ValueError(f"'output' must be text, got {output!r}")
    options = {k: v for k, v in row.items() if k not in (*SOURCE_KEYS, "output")}
    unknown = sorted(set(options) - OPTION_KEYS)
    if unknown:
        known = ", ".join(sorted(OPTION_KEYS))
        raise ValueError(f"unknown column(s) {', '.join(unknown)}; known: path, output, {known}")
    return Item(source, output if is_video(source) else _without_image_ext(output), options)


def _row_item(where: str, raw: dict | str) -> Item:
    """One manifest row as an Item; a bad row becomes a failed Item, never a failed run."""
    row = None
    try:
        row = _columns(raw)
        return _item_from_row(row)
    except ValueError as exc:
        return Item((row and _source(row)) or where, "", error=f"{where}: {exc}")


def _manifest_rows(uri: str, text: str) -> Iterator[tuple[str, dict | str]]:
    if uri.endswith(".jsonl"):
        lines = enumerate(text.splitlines(), 1)
        yield from ((f"{uri} line {n}", line) for n, line in lines if line.strip())
        return
    reader = csv.DictReader(io.StringIO(text))
    if not set(SOURCE_KEYS) & {(k or "").strip() for k in reader.fieldnames or []}:
        raise ValueError(f"{uri} has no 'path' or 'uri' column")  # not a manifest at all
    yield from ((f"{uri} row {n}", row) for n, row in enumerate(reader, 1))


def from_manifest(uri: str) -> list[Item]:
    text = read_bytes(uri).decode("utf-8-sig")
    return [_row_item(where, raw) for where, raw in _manifest_rows(uri, text)]


def collect_items(inputs: list[str]) -> list[Item]:
    """Items for folders, globs, single files and manifests, in a stable order."""
    items: list[Item] = []
    for entry in inputs:
        items += from_manifest(entry) if entry.lower().endswith(MANIFEST_EXTS) else _listed(entry)
    return items


def _options(base: dict, overrides: dict, cache: dict) -> RemoveOptions:
    """``item_options``, built once per distinct set of overrides (most items share one)."""
    key = json.dumps(overrides, sort_keys=True)
    if key not in cache:
        try:
            cache[key] = item_options(base, overrides)
        except Exception as exc:  # whatever one row's options raise fails that row alone
            cache[key] = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
    if isinstance(cache[key], str):
        raise ValueError(cache[key])
    return cache[key]


def _output_key(item: Item, base: dict, output_root: str, inputs: set, cache: dict) -> str:
    """The file the item's worker will write; ValueError when it must not."""
    options = _options(base, item.options, cache)
    if is_video(item.source):
        video_options(options)  # refuses options that frame each picture on its own canvas
    key = file_key(output_uri(output_root, item.output, options, item.source))
    if key in inputs:
        raise ValueError(f"output {key} would overwrite an input; choose another output")
    return key


def check_items(items: list[Item], base: dict, output_root: str) -> list[Item]:
    """Items with the reason each one can never be done: bad options, an output outside the
    output root or on an input's name. Several items writing one output stop the run."""
    inputs = {file_key(i.source) for i in items}
    cache: dict = {}
    checked, outputs = [], Counter()
    for item in items:
        if item.error is None:
            try:
                outputs[_output_key(item, base, output_root, inputs, cache)] += 1
            except ValueError as exc:
                item = dataclasses.replace(item, error=str(exc))
        checked.append(item)
    shared = sorted(k for k, n in outputs.items() if n > 1)
    if shared:
        raise ValueError(f"several inputs would write the same output: {', '.join(shared[:5])}")
    return checked
