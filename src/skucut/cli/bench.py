"""skucut bench: the speed/accuracy ladder of model variants on this machine."""

from __future__ import annotations

from skucut.cli._common import fail


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure model variants: cost, latency, throughput, accuracy")
    p.add_argument(
        "models",
        nargs="*",
        help="model names or .onnx files (default: the default model and its -int8 variant)",
    )
    p.add_argument(
        "--sides",
        type=int,
        nargs="*",
        default=[320, 512, 1024],
        help="sides besides the working one",
    )
    p.add_argument("--runs", type=int, default=10, help="timed runs per latency (median)")
    p.add_argument("--threads", type=int, default=0, help="inference threads (default: cores)")
    p.add_argument("--photos", help="folder of photos for the end-to-end `skucut remove` run")
    p.add_argument("--n", type=int, default=100, help="photos to use from --photos")
    p.add_argument("--side", type=int, default=1000, help="long side the photos are scaled to")
    p.add_argument(
        "--remove-args", default="", help="options for the folder run, e.g. '--refine guided'"
    )
    p.add_argument("--dev", help="images/ + masks/ folder for IoU and S-measure")
    p.add_argument(
        "--stages",
        action="store_true",
        help="with --photos: photos/s of `skucut remove` end to end and the time per stage "
        "(decode, model, refine, clean-up, decontaminate, compose, encode), default options "
        "first, then each --compare set",
    )
    p.add_argument(
        "--compare",
        action="append",
        default=[],
        metavar="ARGS",
        help="with --stages: another set of remove options, e.g. '--refine fast' (repeatable)",
    )
    p.add_argument("--rounds", type=int, default=3, help="with --stages: end-to-end rounds (3)")
    p.set_defaults(run=run)


def default_models() -> list[str]:
    from skucut.catalog import DEFAULT_MODEL, list_models

    names = {info.name for info in list_models()}
    return [m for m in (DEFAULT_MODEL, f"{DEFAULT_MODEL}-int8") if m in names]


def run(args) -> int:
    import shlex
    import tempfile
    from pathlib import Path

    from skucut._system import usable_cores
    from skucut.errors import SkucutError
    from skucut.optimize.ladder import resized_photos, run_ladder

    if args.stages and not args.photos:
        fail("--stages needs --photos FOLDER")
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="skucut-bench-") as tmp:
            if args.stages:
                from skucut.optimize.throughput import stage_report

                folder = resized_photos(Path(args.photos), Path(tmp), args.n, args.side)
                sets = [shlex.split(args.remove_args), *map(shlex.split, args.compare)]
                for line in stage_report(folder, sets, args.rounds):
                    print(line, flush=True)
                return 0
            photos = (
                resized_photos(Path(args.photos), Path(tmp), args.n, args.side)
                if args.photos
                else None
            )
            lines = run_ladder(
                args.models or default_models(),
                args.sides,
                args.runs,
                args.threads or usable_cores(),
                photos,
                shlex.split(args.remove_args),
                Path(args.dev) if args.dev else None,
            )
            for line in lines:
                print(line, flush=True)
    except (SkucutError, OSError, RuntimeError, ValueError) as exc:
        fail(str(exc))
        return 2
    return 0
