"""skucut presets: list the built-in output recipes (and those of a preset file)."""

from __future__ import annotations

from skucut.presets import BUILTIN, load_presets


def register(sub) -> None:
    p = sub.add_parser("presets", help="list output presets (marketplace recipes)")
    p.add_argument("--preset-file", default=None, help="also list the presets in this file")
    p.set_defaults(run=run)


def run(args) -> int:
    presets = dict(BUILTIN)
    if args.preset_file:
        presets.update(load_presets(args.preset_file))
    for name, options in presets.items():
        print(f"{name}: {options.get('description', '')}")
        shown = "  ".join(f"{k}={v}" for k, v in options.items() if k != "description")
        print(f"    {shown}")
    return 0
