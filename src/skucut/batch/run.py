"""Start, resume and report batch runs; the engines only execute tasks."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tqdm import tqdm

from skucut.batch.items import check_items, collect_items
from skucut.batch.state import RunState
from skucut.batch.storage import is_local, remove_stale_temps
from skucut.batch.worker import Result
from skucut.enhance import enhance_line

ENGINES = ("local", "ray")


def default_run_dir(output: str) -> Path:
    if is_local(output):
        return Path(output.removeprefix("file://")) / ".skucut-run"
    return Path("skucut-runs") / output.split("://", 1)[1].replace("/", "_")


def start(inputs: list[str], output: str, options: dict, run_dir: Path, retries: int) -> RunState:
    items = check_items(collect_items(inputs), options, output)  # before any folder is made
    config = {"inputs": inputs, "output": output, "options": options, "max_attempts": retries + 1}
    return RunState.create(run_dir, items, config)


def execute(state: RunState, engine: str, workers: int, address: str | None = None) -> dict:
    """Run every pending item; returns the final counts (failures also go to failures.csv)."""
    config = state.config
    max_attempts = config["max_attempts"]
    tasks = state.pending()
    bar = tqdm(total=len(tasks), desc="batch", unit="img", disable=not tasks or None)
    clock = [time.monotonic()]

    def record(result: Result) -> None:
        if result.error is None:
            state.mark_done(result.id, result.output_uri, result.checksum, result.review)
        else:
            state.mark_failed(result.id, result.error, 0 if result.permanent else max_attempts)
        bar.update(1)
        now = time.monotonic()
        if now - clock[0] > 2:  # a killed run still knows roughly how long it ran
            state.add_active_time(now - clock[0])
            clock[0] = now

    while tasks:
        if engine == "ray":
            from skucut.batch.engine_ray import run_ray

            run_ray(state, tasks, config, record, workers, address)
        else:
            from skucut.batch.engine_local import run_local

            run_local(state, tasks, config, record, workers)
        state.reset_running()  # nothing may stay "running" once the engine returned
        tasks = state.pending()  # transient failures with attempts left, lost work
        bar.total += len(tasks)
    state.add_active_time(time.monotonic() - clock[0])
    bar.close()
    remove_stale_temps(config["output"])  # from workers killed mid-write, now or in a past run
    if state.counts().get("failed"):
        print(f"skucut: failures listed in {state.write_failures()}", file=sys.stderr)
    if state.review_counts()[0]:
        print(f"skucut: images to review listed in {state.write_review_list()}", file=sys.stderr)
    enhanced = [report for _, _, report in state.enhancements()]
    if enhanced:  # --enhance: what it did, and why it left photos alone
        report = state.write_enhance_report()
        print(f"skucut: {enhance_line(enhanced)}; per photo: {report}", file=sys.stderr)
    return state.counts()


def summary(state: RunState) -> str:
    """One line for the end of a run: done, failed, needs review, and where to look."""
    counts = state.counts()
    flagged, _ = state.review_counts()
    line = f"{counts.get('done', 0)} done, {counts.get('failed', 0)} failed, {flagged} need review"
    if flagged:
        line += f" (contact sheet: skucut batch review {state.dir})"
    return line


def status_lines(state: RunState) -> list[str]:
    counts = state.counts()
    total = sum(counts.values())
    lines = [f"run: {state.dir}", f"items: {total}"]
    engine = state.engine_pid()
    for key in ("done", "pending", "running", "failed"):
        if key == "running" and engine is None:
            # Rows left "running" by an engine that is gone: they are redone on resume.
            lines.append(f"  interrupted: {counts.get(key, 0)}")
        else:
            lines.append(f"  {key}: {counts.get(key, 0)}")
    enhanced = [report for _, _, report in state.enhancements()]
    if enhanced:
        lines.append(enhance_line(enhanced))
    if engine is not None:
        lines.append(f"engine: running (process {engine})")
    elif counts.get("pending") or counts.get("running"):
        lines.append(f"engine: none; continue with: skucut batch --resume {state.dir}")
    else:
        lines.append("engine: none (finished)")
    flagged, unscored = state.review_counts()
    lines.append(f"needs review: {flagged}")
    if unscored:
        lines.append(f"not scored: {unscored} (done by a skucut without review scores)")
    rate = state.throughput()
    if rate:
        lines.append(f"throughput: {rate:.2f} images/s of execution time")
    return lines
