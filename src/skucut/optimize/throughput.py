"""`skucut bench --stages`: photos/s of `skucut remove` as a user runs it, and where the time goes.

Two measurements, because each answers a different question:

- end to end: `skucut remove FOLDER` in its own process (as ``folder_run``: decode, model,
  refine, clean-up, decontaminate, compose, encode and write, with its default parallel
  jobs; start-up left out). Option sets are run in turns, round after round, so a machine
  shared with other work slows them alike; the ratio to the first set is the number to quote.
- per stage: the same photos through ``remove_bytes`` in this process, one thread (one
  inference thread, one OpenCV thread), each stage's wall and CPU time collected by
  ``skucut.stages``. The CPU time is the steadier one on a busy machine.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from skucut.io.decode import IMAGE_EXTS
from skucut.optimize.ladder import folder_run

STAGES = ("decode", "model", "refine", "cleanup", "decontaminate", "compose", "encode")


def _options(remove_args: list[str]):
    from skucut.cli import build_parser  # the CLI's own parsing, so the sets mean what they say
    from skucut.cli.remove import options_from_args

    args = build_parser().parse_args(["remove", "x", *remove_args])
    return options_from_args(args)


def stage_split(photos: list[Path], remove_args: list[str]) -> dict[str, tuple[float, float]]:
    """{stage: (mean wall ms, mean CPU ms)} per photo, plus "total" and "other"."""
    from skucut import pipeline
    from skucut.stages import collect_stages

    options = _options(remove_args)
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        pipeline.load_segmenter(options.model, threads=1)
        if options.refine == "learned":
            from skucut.refine.learned import load_refiner

            load_refiner(threads=1)
        pipeline.remove_bytes(photos[0].read_bytes(), options)  # warm-up
        rows = []
        for path in photos:
            data = path.read_bytes()
            with collect_stages() as times:
                wall, cpu = time.perf_counter(), time.thread_time()
                pipeline.remove_bytes(data, options)
                total = (time.perf_counter() - wall, time.thread_time() - cpu)
            row = {name: tuple(times[name]) if name in times else (0.0, 0.0) for name in STAGES}
            row["total"] = total
            rows.append(row)
    finally:
        cv2.setNumThreads(previous)
    split = {
        name: tuple(1000 * float(np.mean([r[name][k] for r in rows])) for k in (0, 1))
        for name in (*STAGES, "total")
    }
    split["other"] = tuple(
        split["total"][k] - sum(split[name][k] for name in STAGES) for k in (0, 1)
    )
    return split


def end_to_end(folder: Path, sets: list[list[str]], rounds: int) -> list[list[float]]:
    """photos/s of each option set per round, the sets taking turns."""
    from skucut.catalog import DEFAULT_MODEL

    results: list[list[float]] = [[] for _ in sets]
    for _ in range(rounds):
        for i, extra in enumerate(sets):
            model = extra[extra.index("-m") + 1] if "-m" in extra else DEFAULT_MODEL
            rest = [
                a for j, a in enumerate(extra) if a != "-m" and (j == 0 or extra[j - 1] != "-m")
            ]
            results[i].append(folder_run(model, folder, rest).images_per_s)
    return results


def stage_report(folder: Path, sets: list[list[str]], rounds: int) -> Iterator[str]:
    """The bench as markdown lines: per-stage split, then end to end with ratios."""
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS)
    names = [" ".join(s) or "(defaults)" for s in sets]
    yield f"Per stage, mean ms per photo over {len(photos)} photos, one thread (CPU / wall):"
    yield ""
    yield "| options | " + " | ".join(STAGES) + " | other | total |"
    yield "|---|" + "---|" * (len(STAGES) + 2)
    for name, extra in zip(names, sets, strict=True):
        split = stage_split(photos, extra)
        cells = [f"{split[s][1]:.0f} / {split[s][0]:.0f}" for s in (*STAGES, "other", "total")]
        yield f"| {name} | " + " | ".join(cells) + " |"
    yield ""
    yield f"End to end, `skucut remove` on the folder, {rounds} round(s) taking turns:"
    yield ""
    yield "| options | photos/s (median) | per round | vs first (median of rounds) |"
    yield "|---|---|---|---|"
    results = end_to_end(folder, sets, rounds)
    for name, runs in zip(names, results, strict=True):
        per_round = ", ".join(f"{r:.2f}" for r in runs)
        ratio = statistics.median(r / f for r, f in zip(runs, results[0], strict=True))
        yield f"| {name} | {statistics.median(runs):.2f} | {per_round} | {ratio:.2f}x |"
