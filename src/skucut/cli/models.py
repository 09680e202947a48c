"""skucut models: which model to use, one line each; all measured metrics on request."""

from __future__ import annotations

import argparse
import sys

from skucut.catalog import DEFAULT_MODEL, MODEL_NOTES, ModelInfo, list_models

TASK_USE = {
    "segmentation": "skucut remove -m NAME",
    "super-resolution": "--upscale 2|4, skucut upscale",
    "embedding": "skucut embed, skucut similar",
    "": "no card.json says which task",
}


def register(sub) -> None:
    p = sub.add_parser(
        "models",
        help="the models to choose from, one line each (NAME or --verbose: all metrics)",
        description="List the offered models: name, task, file size, model time, one quality "
        "number and what each is for; the default is marked *.",
        epilog="examples:\n  skucut models\n  skucut models skucut-fast-v1\n"
        "  skucut models --all --verbose",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", nargs="?", help="one model: all its measured metrics")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="all metrics of every model (default: off)"
    )
    p.add_argument(
        "--all",
        action="store_true",
        help="also the retired models left in the checkout (default: off)",
    )
    p.set_defaults(run=run)


def quality(info: ModelInfo) -> str:
    """One number to compare models of a task by: IoU as cut on the shop photos (products-dev)
    for segmentation, PSNR gain over bicubic for super-resolution."""
    if info.task == "segmentation":
        for key, how in (("metrics_refined", "as cut"), ("metrics", "raw")):
            for dev in ("products-dev", "msra-dev"):
                iou = info.card.get(key, {}).get(dev, {}).get("iou")
                if iou is not None:
                    return f"IoU {iou:.3f} {dev} {how}"
    gains = [v.get("psnr_gain_over_bicubic") for v in info.metrics.values()]
    gains = [g for g in gains if g is not None]
    if gains:
        return f"+{min(gains):.2f}..{max(gains):.2f} dB PSNR"
    if info.task == "embedding":
        return f"{info.card.get('dim', '?')}-d vectors"
    return "-"


def model_ms(info: ModelInfo) -> str:
    if "ms_per_output_mp" in info.card:
        return f"{info.card['ms_per_output_mp']} ms/MP"
    ms = MODEL_NOTES.get(info.name, (None, ""))[0]
    return f"{ms:g} ms" if ms is not None else "-"


def summary_rows(infos: list[ModelInfo]) -> list[tuple[str, ...]]:
    order = {task: i for i, task in enumerate(TASK_USE)}
    rows = []
    for info in sorted(infos, key=lambda m: (order.get(m.task, 9), m.name != DEFAULT_MODEL)):
        purpose = MODEL_NOTES.get(info.name, (None, ""))[1]
        if not info.offered:
            purpose = "retired: kept in the checkout for its name"
        mark = " *" if info.name == DEFAULT_MODEL else ""
        rows.append(
            (
                info.name + mark,
                info.task or "?",
                f"{info.size_bytes / 1e6:.1f} MB",
                model_ms(info),
                quality(info),
                purpose,
            )
        )
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("NAME", "TASK", "SIZE", "MODEL", "QUALITY", "FOR")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def print_details(info: ModelInfo) -> None:
    default = " (default)" if info.name == DEFAULT_MODEL else ""
    retired = "" if info.offered else " (retired)"
    print(f"{info.name}{default}{retired}: {info.task or '?'} ({TASK_USE.get(info.task, '')})")
    print(f"  file: {info.path} ({info.size_bytes / 1e6:.1f} MB)")
    note = MODEL_NOTES.get(info.name)
    if note:
        print(f"  for: {note[1]}; model time: {model_ms(info)}")
    for key, title in (("metrics", "raw model"), ("metrics_refined", "as skucut remove cuts")):
        sets = info.card.get(key) or {}
        if sets:
            print(f"  {title}:")
        for dataset, values in sets.items():
            shown = "  ".join(f"{k}={v:.3f}" for k, v in values.items())
            print(f"    {dataset}: {shown}")
    card = info.path.parent / "MODEL_CARD.md"
    if card.exists():
        print(f"  card: {card}")


def run(args) -> int:
    infos = list_models(include_retired=args.all or bool(args.name))
    if args.name:
        match = [m for m in infos if m.name == args.name]
        if not match:
            names = ", ".join(m.name for m in infos if m.offered)
            print(f"skucut: unknown model {args.name!r}; installed: {names}", file=sys.stderr)
            return 4
        print_details(match[0])
        return 0
    if not infos:
        print("no models installed")
        return 1
    if args.verbose:
        for info in infos:
            print_details(info)
        return 0
    print_table(summary_rows(infos))
    print(
        "* default. MODEL: median model time at its working size (2-core CPU). "
        "`skucut models NAME` or --verbose: all metrics"
        + ("" if args.all else "; --all: retired models too")
    )
    return 0
