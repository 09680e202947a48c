"""skucut embed / similar: product vectors for similar-item search, on onnxruntime (no torch).

Their model is written once by `skucut export-embedder` (skucut.cli.export_embedder).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from skucut.cli._common import fail
from skucut.embed.embedder import DEFAULT_EMBEDDER
from skucut.errors import SkucutError
from skucut.refine import REFINE_MODES

EXPORT_HINT = "create it once with: skucut export-embedder (needs skucut[train])"


def register(sub) -> None:
    e = sub.add_parser(
        "embed",
        help="product vectors for similar-item search (cutout on grey, L2-normalised)",
        epilog="then: skucut similar PHOTO --index vectors",
    )
    e.add_argument("inputs", nargs="+", metavar="IN", help="images, folders or globs")
    e.add_argument("-o", "--output", required=True, help="vectors.npy (+ .json names) or .parquet")
    _view_options(e)
    e.set_defaults(run=run_embed)
    s = sub.add_parser("similar", help="the indexed products most like a photo")
    s.add_argument("queries", nargs="+", metavar="QUERY", help="a photo, or a name in the index")
    s.add_argument("--index", required=True, help="from skucut embed (.npy or .parquet)")
    s.add_argument("-k", type=int, default=5, help="how many (default: 5)")
    s.set_defaults(run=run_similar)


def _view_options(p) -> None:
    p.add_argument(
        "--no-cutout",
        dest="cutout",
        action="store_false",
        help="embed the whole photo, backdrop included (default: the product on grey)",
    )
    p.add_argument(
        "--embedder", help=f"embedding model name or .onnx (default: {DEFAULT_EMBEDDER})"
    )
    p.add_argument(
        "-m", "--model", help="segmentation model for the cutout (default: the default model)"
    )
    p.add_argument(
        "--refine",
        default="guided",
        choices=list(REFINE_MODES),
        help="cutout edges (default: guided)",
    )


def _embedder(name):
    from skucut.embed import load_embedder

    try:
        return load_embedder(name)
    except SkucutError as exc:
        fail(f"{exc}" + ("" if name else f"; {EXPORT_HINT}"))
        return None


def _vector(path: str, embedder, settings: dict):
    """The photo's vector, embedded per ``settings`` (cutout, model, refine); and whether it
    was a cutout. Raises SkucutError or OSError for a file that cannot be read."""
    from skucut.embed import view_for
    from skucut.io import decode_image

    decoded = decode_image(path)
    view, cut = view_for(
        decoded, embedder.cfg.input_size, settings["cutout"], settings["model"], settings["refine"]
    )
    return embedder.embed(view), cut


def run_embed(args) -> int:
    import numpy as np
    from tqdm import tqdm

    from skucut.cli.remove import collect
    from skucut.embed import write_index

    suffix = Path(args.output).suffix
    if suffix not in (".npy", ".parquet"):
        fail("-o must end in .npy or .parquet")
        return 2
    if suffix == ".parquet" and importlib.util.find_spec("pyarrow") is None:
        fail("a .parquet index needs pyarrow (pip install pyarrow), or use -o vectors.npy")
        return 2
    embedder = _embedder(args.embedder)
    if embedder is None:
        return 4
    settings = {"cutout": args.cutout, "model": args.model, "refine": args.refine}
    names, vectors, failed, uncut = [], [], 0, 0
    for path, _ in tqdm(
        collect(args.inputs), desc="embed", leave=False, disable=None
    ):  # bar: terminal only
        try:
            vector, cut = _vector(str(path), embedder, settings)
        except (SkucutError, OSError) as exc:
            print(f"skucut: {path}: {exc}", file=sys.stderr)
            failed += 1
            continue
        if args.cutout and not cut:
            uncut += 1
        names.append(str(path))
        vectors.append(vector)
    if not names:
        fail("no image could be embedded")
        return 1
    meta = {"embedder": str(embedder.path), "dim": embedder.cfg.dim, **settings}
    written = write_index(args.output, names, np.stack(vectors), meta)
    view = "product cutouts on grey" if args.cutout else "whole photos"
    note = f" ({uncut} with no product found: whole photo)" if uncut else ""
    print(
        f"{len(names)} embedded from {view}{note}, {failed} failed -> {', '.join(map(str, written))}"
    )
    return 1 if failed else 0


def run_similar(args) -> int:
    from skucut.embed import nearest, read_index

    try:
        names, vectors, meta = read_index(args.index)
    except (OSError, ValueError, KeyError) as exc:
        fail(f"--index: {exc}")
        return 2
    embedder = None
    status = 0
    for query in args.queries:
        if query in names:  # already indexed: its own vector, and not itself as an answer
            row = names.index(query)
            vector, exclude = vectors[row], {row}
        else:
            embedder = embedder or _embedder(meta.get("embedder"))
            if embedder is None:
                return 4
            try:
                vector, _ = _vector(query, embedder, meta)
            except (SkucutError, OSError) as exc:
                print(f"skucut: {query}: {exc}", file=sys.stderr)
                status = 1
                continue
            same = Path(query).resolve()
            exclude = {i for i, name in enumerate(names) if Path(name).resolve() == same}
        print(query)
        for rank, (i, score) in enumerate(nearest(vectors, vector, args.k, exclude), 1):
            print(f"  {rank:>3}  {score:.4f}  {names[i]}")
    return status
