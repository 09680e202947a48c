"""Command line: ``skucut COMMAND``; commands for users first, then for building models."""

from __future__ import annotations

import argparse
import sys
import warnings

from skucut._version import __version__
from skucut.cli import (
    batch,
    bench,
    data,
    embed,
    evaluate,
    explain,
    export_embedder,
    models,
    presets,
    quantize,
    remove,
    serve,
    train,
    tune,
    upscale,
    video,
)

DESCRIPTION = "skucut: remove the background of product photos (CLI, web page and HTTP API)."
USER_COMMANDS = (remove, video, batch, serve, upscale, models, presets, embed)
BUILD_COMMANDS = (train, evaluate, explain, quantize, bench, data, tune, export_embedder)
EXAMPLES = """\
examples:
  skucut remove photo.jpg -o cutout.png
  skucut remove shop/ -o out/ --preset white-main
  skucut remove --watch inbox/ -o out/
  skucut serve                      # web page at http://127.0.0.1:8000/

'skucut COMMAND --help' shows a command's options."""


class _Listed:
    """Registers commands on the real sub-parsers and keeps each one's help line for the
    grouped listing (argparse can only list all commands in one block)."""

    def __init__(self, sub):
        self.sub, self.helps = sub, {}

    def add_parser(self, name: str, **kwargs):
        self.helps[name] = kwargs.pop("help", "")
        return self.sub.add_parser(name, **kwargs)


def _listing(groups: dict[str, dict[str, str]]) -> str:
    """The commands under their group titles, help lines in one column."""
    width = max(len(name) for helps in groups.values() for name in helps) + 2
    blocks = [
        "\n".join([f"{title}:", *(f"  {n:<{width}}{h}" for n, h in helps.items())])
        for title, helps in groups.items()
    ]
    return "\n\n".join(blocks)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skucut", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES
    )
    parser.add_argument("--version", action="version", version=f"skucut {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="one of the commands above"
    )
    groups = {}
    for title, modules in (("use", USER_COMMANDS), ("build and measure models", BUILD_COMMANDS)):
        listed = _Listed(sub)
        for module in modules:
            module.register(listed)
        groups[title] = listed.helps
    parser.description = f"{DESCRIPTION}\n\n{_listing(groups)}"
    return parser


def main(argv: list[str] | None = None) -> int:
    # Pillow warns about damaged files it can still read ("Tag data larger than file"); skucut
    # reports each file's outcome itself, in one line, so these would only be noise.
    warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
    argv = sys.argv[1:] if argv is None else argv
    args = batch.parse_look(argv) or build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("skucut: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `skucut presets | head`: the reader left, nothing to say
        sys.stderr.close()
        return 141
