"""Per-image change between two `skucut eval --csv-dir` runs of one dataset.

    python bench/compare_evals.py BEFORE.csv AFTER.csv [--labels LABELS.md] [--eps 0.002]

Prints, for IoU and BF1: how many images got better, worse or stayed the same (within
--eps), the mean before and after, and (with products-dev's LABELS.md) the same per image
class (white / plain / scene backdrops); then the images that moved most.
"""

from __future__ import annotations

import argparse
import csv
import re
from pathlib import Path

DEFAULT_LABELS = Path(__file__).resolve().parents[2] / "shared/data/eval/products-dev/LABELS.md"
CLASSES = {"White": "white backdrop", "Plain": "plain backdrop", "Scenes": "scene"}


def read(path: Path) -> dict[str, dict[str, float]]:
    with open(path) as f:
        return {
            row["name"]: {k: float(v) for k, v in row.items() if k != "name"}
            for row in csv.DictReader(f)
        }


def image_classes(labels: Path) -> dict[str, str]:
    """name -> class, from the "Breakdown" lines of a LABELS.md (none if absent)."""
    if not labels.is_file():
        return {}
    found = {}
    for line in labels.read_text().splitlines():
        for key, name in CLASSES.items():
            if line.startswith(f"- **{key}"):
                found.update({n: name for n in re.findall(r"\b\d{3}_\d\b", line)})
    return found


def summary(names, before, after, metric: str, eps: float) -> str:
    deltas = [after[n][metric] - before[n][metric] for n in names]
    better = sum(d > eps for d in deltas)
    worse = sum(d < -eps for d in deltas)
    mean_b = sum(before[n][metric] for n in names) / len(names)
    mean_a = sum(after[n][metric] for n in names) / len(names)
    return (f"{metric}: {mean_b:.4f} -> {mean_a:.4f}; better {better}, worse {worse}, "
            f"same {len(names) - better - worse}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--eps", type=float, default=0.002)
    parser.add_argument("--show", type=int, default=8, help="images that moved most")
    args = parser.parse_args()
    before, after = read(args.before), read(args.after)
    names = sorted(set(before) & set(after))
    groups = {"all": names}
    classes = image_classes(args.labels)
    for cls in CLASSES.values():
        groups[cls] = [n for n in names if classes.get(n) == cls]
    for group, members in groups.items():
        if members:
            print(f"{group} ({len(members)}):")
            for metric in ("iou", "boundary_f1"):
                print("  " + summary(members, before, after, metric, args.eps))
    moved = sorted(names, key=lambda n: abs(after[n]["iou"] - before[n]["iou"]), reverse=True)
    print("moved most (IoU before -> after, BF1 before -> after):")
    for n in moved[: args.show]:
        b, a = before[n], after[n]
        print(f"  {n}: {b['iou']:.3f} -> {a['iou']:.3f}, {b['boundary_f1']:.3f} -> "
              f"{a['boundary_f1']:.3f}  {classes.get(n, '')}")  # fmt: skip


if __name__ == "__main__":
    main()
