"""skucut models: list shipped models with size and measured metrics."""

from __future__ import annotations

from skucut.catalog import DEFAULT_MODEL, list_models

TASKS = {
    "segmentation": "skucut remove -m NAME",
    "super-resolution": "--upscale 2|4, skucut upscale",
    "embedding": "skucut embed, skucut similar",
    "": "no card.json says which task",
}


def register(sub) -> None:
    p = sub.add_parser("models", help="list installed models and their measured metrics")
    p.set_defaults(run=run)


def run(args) -> int:
    infos = list_models()
    if not infos:
        print("no models installed")
        return 1
    for task, use in TASKS.items():
        group = [info for info in infos if info.task == task]
        if not group:
            continue
        print(f"{task or 'other'} models ({use}):")
        for info in group:
            default = " (default)" if info.name == DEFAULT_MODEL else ""
            print(f"  {info.name}{default}  {info.size_bytes / 1e6:.1f} MB  {info.path}")
            for dataset, values in info.metrics.items():
                shown = "  ".join(f"{k}={v:.3f}" for k, v in values.items())
                print(f"      {dataset}: {shown}")
    return 0
