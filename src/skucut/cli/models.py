"""skucut models: list shipped models with size and measured metrics."""

from __future__ import annotations

from skucut.catalog import DEFAULT_MODEL, list_models


def register(sub) -> None:
    p = sub.add_parser("models", help="list installed models and their measured metrics")
    p.set_defaults(run=run)


def run(args) -> int:
    infos = list_models()
    if not infos:
        print("no models installed")
        return 1
    for info in infos:
        default = " (default)" if info.name == DEFAULT_MODEL else ""
        size = f"{info.size_bytes / 1e6:.1f} MB"
        print(f"{info.name}{default}  {info.task}  {size}  {info.path}")
        for dataset, values in info.metrics.items():
            shown = "  ".join(f"{k}={v:.3f}" for k, v in values.items())
            print(f"    {dataset}: {shown}")
    return 0
