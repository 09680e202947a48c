"""skucut remove INPUT... -o OUT: cut out the product in files, folders, globs or stdin."""

from __future__ import annotations

import glob
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from skucut._files import write_atomic
from skucut._system import usable_cores
from skucut.cli._common import fail
from skucut.errors import SkucutError
from skucut.io.decode import IMAGE_EXTS
from skucut.pipeline import RemoveOptions, load_segmenter, prepare, remove_bytes
from skucut.refine import REFINE_MODES


def register(sub) -> None:
    p = sub.add_parser("remove", help="remove the background from images")
    p.add_argument(
        "inputs", nargs="+", help="image files, folders (recursive), globs, or - for stdin"
    )
    p.add_argument("-o", "--output", help="output folder, or file for one input; - for stdout")
    p.add_argument(
        "-m", "--model", default=None, help="model name (see `skucut models`) or .onnx path"
    )
    p.add_argument("-f", "--format", default=None, choices=["png", "webp", "jpg"])
    p.add_argument("--quality", type=int, default=None, help="JPEG/WebP quality (default 92)")
    p.add_argument("--mask", action="store_true", default=None, help="write the alpha only")
    add_output_options(p)
    p.add_argument(
        "-j", "--jobs", type=int, default=None, help="images processed at once (default: cores)"
    )
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave outputs that already exist (resume an interrupted folder run)",
    )
    p.set_defaults(run=run)


def add_output_options(p) -> None:
    """Edge and composition options, shared with every command that writes cutouts."""
    edges = p.add_argument_group("edges")
    edges.add_argument(
        "--refine", choices=list(REFINE_MODES), default=None, help="edge refinement (default fast)"
    )
    edges.add_argument("--no-cleanup", dest="cleanup", action="store_false", default=None)
    edges.add_argument(
        "--no-decontaminate",
        dest="decontaminate",
        action="store_false",
        default=None,
        help="keep the original colours in semi-transparent edges",
    )
    edges.add_argument(
        "--upscale",
        choices=["off", "2", "4", "auto"],
        default=None,
        help="learned super-resolution of the cutout; auto: when the canvas would enlarge it",
    )
    out = p.add_argument_group("composition")
    out.add_argument("--preset", default=None, help="named output recipe (see `skucut presets`)")
    out.add_argument("--preset-file", default=None, help="TOML/YAML/JSON file of custom presets")
    out.add_argument(
        "--bg-color", default=None, help="background colour: white, #f0f0f0, 255,255,255"
    )
    out.add_argument("--bg-image", default=None, help="background photo")
    out.add_argument("--bg-fit", choices=["fill", "fit"], default=None)
    out.add_argument("--trim", action="store_true", default=None, help="crop to the product")
    out.add_argument("--margin", default=None, help="trim margin: pixels or N%%")
    out.add_argument("--canvas", default=None, help="fixed output size WxH, product centred")
    out.add_argument("--fill", type=float, default=None, help="product share of the canvas")
    out.add_argument("--align", choices=["center", "bottom"], default=None)
    out.add_argument("--shadow", choices=["none", "drop", "contact"], default=None)
    out.add_argument("--shadow-opacity", type=float, default=None)


OPTION_NAMES = [
    "model",
    "format",
    "quality",
    "mask",
    "refine",
    "cleanup",
    "decontaminate",
    "upscale",
    "bg_color",
    "bg_image",
    "bg_fit",
    "trim",
    "margin",
    "canvas",
    "fill",
    "align",
    "shadow",
    "shadow_opacity",
]


def options_from_args(args) -> RemoveOptions:
    given = {name: getattr(args, name) for name in OPTION_NAMES}
    return RemoveOptions.build(args.preset, args.preset_file, **given)


def collect(inputs: list[str]) -> list[tuple[Path, Path]]:
    """(file, path relative to its root) for every input; folders recurse, globs expand."""
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTS
            )
            found += [(p, p.relative_to(path)) for p in files]
        elif path.exists():
            found.append((path, Path(path.name)))
        else:
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            if not matches:
                found.append((path, Path(path.name)))  # reported as missing when processed
            found += [(m, Path(m.name)) for m in matches if m.is_file()]
    return found


def run(args) -> int:
    items = [] if args.inputs == ["-"] else collect(args.inputs)
    jobs = max(1, min(args.jobs or usable_cores(), len(items)))
    try:
        options = options_from_args(args)
        if jobs > 1:  # parallel images, so one inference thread each (no oversubscription)
            load_segmenter(options.model, threads=1)
        prepare(options)  # fail fast on a bad model or background, before touching files
    except (SkucutError, ValueError, OSError) as exc:
        fail(str(exc))
        return getattr(exc, "exit_code", 2)

    if args.inputs == ["-"]:
        return _run_stdin(args, options)
    if not args.output:
        fail("-o/--output is required for file inputs")
        return 2
    out = Path(args.output)
    single_file_out = len(items) == 1 and out.suffix.lower() in IMAGE_EXTS and not out.is_dir()
    inputs = {p.resolve() for p, _ in items}

    def process(item: tuple[Path, Path]) -> Exception | None:
        path, rel = item
        target = out if single_file_out else out / rel.with_suffix("." + options.extension)
        try:
            if target.resolve() in inputs:
                raise FileExistsError("output would overwrite an input; choose another -o")
            if not (args.skip_existing and target.exists()):
                write_atomic(target, remove_bytes(path.read_bytes(), options))
        except (SkucutError, OSError) as exc:
            return exc
        return None

    failed = 0
    last_error: SkucutError | None = None
    bar = tqdm(total=len(items), desc="remove", unit="img", disable=len(items) < 2 or None)
    # Images run in threads (decode, inference, refinement and encoding release the GIL), so
    # one image's decode or PNG encode overlaps another's inference.
    with ThreadPoolExecutor(jobs) as pool:
        for (path, _), exc in zip(items, ordered_map(pool, process, items, 2 * jobs), strict=True):
            bar.update(1)
            if exc is None:
                continue
            failed += 1
            last_error = exc if isinstance(exc, SkucutError) else None
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            bar.write(f"skucut: error: {path}: {reason}", file=sys.stderr)
    bar.close()
    if failed:
        print(f"skucut: {failed} of {len(items)} image(s) failed", file=sys.stderr)
        return last_error.exit_code if last_error and failed == len(items) == 1 else 1
    return 0


def ordered_map(pool: Executor, fn: Callable, items: Iterable, ahead: int) -> Iterator:
    """``pool.map`` with at most ``ahead`` items in flight, so a huge folder is not queued (and
    its results held) all at once; results come back in input order."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _run_stdin(args, options: RemoveOptions) -> int:
    try:
        result = remove_bytes(sys.stdin.buffer.read(), options)
    except SkucutError as exc:
        fail(f"stdin: {exc}")
        return exc.exit_code
    if args.output and args.output != "-":
        write_atomic(Path(args.output), result)
    else:
        sys.stdout.buffer.write(result)
        sys.stdout.buffer.flush()
    return 0
