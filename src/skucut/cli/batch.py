"""skucut batch INPUT... -o OUTPUT | --resume RUN | status RUN | review RUN: resumable catalogue
runs, and looks at them that never disturb a running engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from skucut.cli._common import fail
from skucut.cli.remove import (
    OPTION_NAMES,
    add_output_options,
    add_result_options,
    options_from_args,
)


def register(sub) -> None:
    p = sub.add_parser(
        "batch",
        help="resumable batch run over folders, globs, manifests or object storage",
        description="skucut batch INPUT... -o OUTPUT; skucut batch --resume RUN; "
        "skucut batch status RUN; skucut batch review RUN (an HTML contact sheet of the "
        "images that need review). `skucut batch status --help` and `skucut batch review "
        "--help` describe those two.",
    )
    p.add_argument("inputs", nargs="*", help="folders, globs, CSV/JSONL manifests, s3:// URIs")
    p.add_argument("-o", "--output", help="output folder or URI (s3://bucket/prefix)")
    p.add_argument("--run-dir", help="where the run state lives (default OUTPUT/.skucut-run)")
    p.add_argument("--resume", metavar="RUN", help="continue the run in this run folder")
    p.add_argument("--engine", choices=["local", "ray"], default="local", help="(default: local)")
    p.add_argument("--address", help="Ray cluster address (default: start a local one)")
    p.add_argument("--workers", type=int, default=None, help="processes/actors (default: cores)")
    p.add_argument(
        "--retries", type=int, default=2, help="extra attempts for transient errors (default: 2)"
    )
    add_result_options(p, "or the preset's")
    add_output_options(p)
    p.set_defaults(run=run)


def _look_parsers() -> dict[str, argparse.ArgumentParser]:
    """`batch status` and `batch review` have their own options and help; they only read a
    run, so none of the run's options (which they would silently ignore) are accepted."""
    status = argparse.ArgumentParser(
        prog="skucut batch status",
        description="Counts of a run (done, pending, running or interrupted, failed, need "
        "review) and its throughput; only reads, so it may be used while the run goes on.",
        epilog="example:\n  skucut batch status out/.skucut-run",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    review = argparse.ArgumentParser(
        prog="skucut batch review",
        description="Write RUN/review.html, a contact sheet of the images that need review "
        "(least confident first, thumbnails embedded), and RUN/review.csv; only reads the run.",
        epilog="example:\n  skucut batch review out/.skucut-run --limit 100",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for parser in (status, review):
        parser.add_argument("run_dir", metavar="RUN", help="the run folder (OUTPUT/.skucut-run)")
    from skucut.batch.sheet import DEFAULT_LIMIT

    review.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        help="at most N images on the sheet, least confident first (default: %(default)s)",
    )
    return {"status": status, "review": review}


def parse_look(argv: list[str]) -> argparse.Namespace | None:
    """``skucut batch status|review ...`` parsed by its own parser; None for anything else
    (``batch INPUT...`` keeps the batch parser, so a folder named "status" needs ./status)."""
    if len(argv) < 2 or argv[0] != "batch" or argv[1] not in LOOKS:
        return None
    args = _look_parsers()[argv[1]].parse_args(argv[2:])
    args.look = argv[1]
    args.run = _run_look
    return args


def _run_look(args) -> int:
    from skucut.batch.state import RunState

    try:
        return LOOKS[args.look](RunState.inspect(args.run_dir), args)  # never disturbs an engine
    except (ValueError, OSError, RuntimeError) as exc:
        fail(str(exc))
        return 2


def _status(state, args) -> int:
    from skucut.batch.run import status_lines

    print("\n".join(status_lines(state)))
    return 0


def _review(state, args) -> int:
    from skucut.batch.sheet import write_sheet

    limit = args.limit
    if limit < 1:
        fail(f"--limit must be at least 1, got {limit}")
        return 2
    flagged, _ = state.review_counts()
    print(f"{flagged} images need review")
    print(f"contact sheet: {write_sheet(state, limit)}")
    print(f"list: {state.write_review_list()}")
    return 0


LOOKS = {"status": _status, "review": _review}  # read a run, never lock it


def run(args) -> int:
    from skucut._system import usable_cores
    from skucut.batch.run import default_run_dir, execute, start, summary
    from skucut.batch.state import RunState

    workers = args.workers or usable_cores()
    try:
        if args.resume:
            state = RunState.open(args.resume)
        else:
            if not args.inputs or not args.output:
                fail("give INPUT... and -o OUTPUT, or --resume RUN")
                return 2
            options_from_args(args)  # validate every option before anything starts
            given = {k: getattr(args, k) for k in OPTION_NAMES if getattr(args, k) is not None}
            given.update(
                {k: getattr(args, k) for k in ("preset", "preset_file") if getattr(args, k)}
            )
            run_dir = Path(args.run_dir) if args.run_dir else default_run_dir(args.output)
            state = start(args.inputs, args.output, given, run_dir, args.retries)
            print(f"run state: {state.dir}  (resume with: skucut batch --resume {state.dir})")
        try:
            counts = execute(state, args.engine, workers, args.address)
        except KeyboardInterrupt:
            done = state.counts().get("done", 0)
            left = sum(state.counts().values()) - done
            print(
                f"skucut: interrupted: {done} done, {left} left; continue with: "
                f"skucut batch --resume {state.dir}",
                file=sys.stderr,
            )
            return 130
    except (ValueError, OSError, RuntimeError) as exc:
        fail(str(exc))
        return 2
    print(f"skucut: {summary(state)}")
    return 1 if counts.get("failed") else 0
