"""skucut batch INPUT... -o OUTPUT | --resume RUN | status RUN | review RUN: resumable catalogue
runs, and looks at them that never disturb a running engine."""

from __future__ import annotations

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
        "images that need review)",
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
    p.add_argument(
        "--limit",
        type=int,
        help="batch review: at most N images on the sheet, least confident first (default 500)",
    )
    add_output_options(p)
    p.set_defaults(run=run)


def _status(state, args) -> int:
    from skucut.batch.run import status_lines

    print("\n".join(status_lines(state)))
    return 0


def _review(state, args) -> int:
    from skucut.batch.sheet import DEFAULT_LIMIT, write_sheet

    limit = DEFAULT_LIMIT if args.limit is None else args.limit
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
        look = LOOKS.get(args.inputs[0]) if args.inputs else None
        if look:
            if len(args.inputs) != 2:
                fail(f"usage: skucut batch {args.inputs[0]} RUN")
                return 2
            return look(RunState.inspect(args.inputs[1]), args)  # never disturbs an engine
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
        counts = execute(state, args.engine, workers, args.address)
    except (ValueError, OSError, RuntimeError) as exc:
        fail(str(exc))
        return 2
    print(f"skucut: {summary(state)}")
    return 1 if counts.get("failed") else 0
