"""Command line: thin commands over the pipeline, training, export and evaluation."""

from __future__ import annotations

import argparse
import sys
import warnings

from skucut._version import __version__
from skucut.cli import (
    batch,
    bench,
    data,
    evaluate,
    models,
    presets,
    quantize,
    remove,
    serve,
    train,
    upscale,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="skucut", description=__doc__)
    parser.add_argument("--version", action="version", version=f"skucut {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    modules = (
        remove,
        upscale,
        batch,
        models,
        presets,
        serve,
        train,
        evaluate,
        data,
        quantize,
        bench,
    )
    for module in modules:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Pillow warns about damaged files it can still read ("Tag data larger than file"); skucut
    # reports each file's outcome itself, in one line, so these would only be noise.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("skucut: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `skucut presets | head`: the reader left, nothing to say
        sys.stderr.close()
        return 141
