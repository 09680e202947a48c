"""skucut remove INPUT... -o OUT: cut out the product in files, folders, globs or stdin."""

from __future__ import annotations

import dataclasses
import errno
import glob
import os
import stat
import sys
import time
from collections import Counter, deque
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
from skucut.review import Review


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
    p.add_argument(
        "--review-list",
        metavar="FILE",
        help="write the inputs whose cutouts need a person's check (one per line, with why)",
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
    """(file, path relative to its root) for every input; folders recurse, globs expand.

    In folders, every entry named like an image that is not a folder is kept, also FIFOs and
    broken or looping links: processing reports them instead of skipping them silently."""
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in IMAGE_EXTS and not p.is_dir()
            )
            found += [(p, p.relative_to(path)) for p in files]
        elif path.exists():
            found.append((path, Path(path.name)))
        else:
            matches = sorted(Path(m) for m in glob.glob(item, recursive=True))
            if not matches:
                found.append((path, Path(path.name)))  # reported as missing when processed
            found += [(m, Path(m.name)) for m in matches if not m.is_dir()]
    return found


def read_regular_file(path: Path) -> bytes:
    """The file's bytes; a FIFO, device, folder or broken link is an error, never a hang."""
    try:
        mode = path.stat().st_mode  # follows links: a looping or dangling one fails here
    except OSError as exc:
        kind = "broken or looping link" if path.is_symlink() else "cannot read"
        raise OSError(exc.errno, f"{kind}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not an image")
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file (FIFO, socket or device)")
    return path.read_bytes()


def output_format(out: Path, options: RemoveOptions, format_given: bool) -> RemoveOptions:
    """For a single output file: its extension names the format unless --format does (a
    contradiction is an error); masks are PNG whatever the name."""
    by_name = {".png": "png", ".webp": "webp", ".jpg": "jpg", ".jpeg": "jpg"}.get(
        out.suffix.lower()
    )
    wanted = "png" if options.mask else options.format
    if by_name is None:
        raise ValueError(f"{out.name}: the output's extension must be .png, .webp or .jpg")
    if options.mask and by_name != "png":
        raise ValueError(f"{out.name}: masks are written as PNG; name the output .png")
    if format_given and by_name != wanted:
        raise ValueError(f"{out.name}: the extension contradicts --format {options.format}")
    return options if options.mask else dataclasses.replace(options, format=by_name)


def clashing_outputs(targets: list[Path]) -> list[str]:
    """Outputs that several inputs would write (a.jpg and a.png, or d1/x.jpg and d2/x.jpg)."""
    counts = Counter(os.path.realpath(t) for t in targets)
    return sorted(str(t) for t, n in counts.items() if n > 1)


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
    if not items:  # nothing to do is not a failure (an empty inbox), but it is said
        print(f"skucut: no images found in {', '.join(args.inputs)}", file=sys.stderr)
        return 0
    out = Path(args.output)
    single_file_out = len(items) == 1 and out.suffix.lower() in IMAGE_EXTS and not out.is_dir()
    try:
        if single_file_out:
            options = output_format(out, options, args.format is not None)
    except ValueError as exc:
        fail(str(exc))
        return 2
    targets = [
        out if single_file_out else out / rel.with_suffix("." + options.extension)
        for _, rel in items
    ]
    clashes = clashing_outputs(targets)
    if clashes:
        fail(
            f"{len(clashes)} output(s) would be written by several inputs, e.g. {clashes[0]}; "
            "rename the inputs or run the folders separately"
        )
        return 2
    inputs = {os.path.realpath(p) for p, _ in items}  # realpath: never raises on a link loop

    def process(job: tuple[Path, Path]) -> Review | Exception | None:
        """The cutout's review; None when an existing output was left; the error if any."""
        path, target = job
        try:
            if os.path.realpath(target) in inputs:
                raise FileExistsError("output would overwrite an input; choose another -o")
            if args.skip_existing and target.exists():
                return None
            result = remove_bytes(read_regular_file(path), options)
            write_atomic(target, result.data)
            return result.review
        except Exception as exc:  # one bad image is reported; it never stops the rest
            return exc

    failed, flagged = 0, []
    last_error: SkucutError | None = None
    started = time.perf_counter()
    bar = tqdm(total=len(items), desc="remove", unit="img", disable=len(items) < 2 or None)
    # Images run in threads (decode, inference, refinement and encoding release the GIL), so
    # one image's decode or PNG encode overlaps another's inference.
    work = [(path, target) for (path, _), target in zip(items, targets, strict=True)]
    with ThreadPoolExecutor(jobs) as pool:
        for (path, _), outcome in zip(
            work, ordered_map(pool, process, work, 2 * jobs), strict=True
        ):
            bar.update(1)
            if isinstance(outcome, Review) and outcome.needs_review:
                flagged.append((path, outcome))
            if not isinstance(outcome, Exception):
                continue
            failed += 1
            last_error = outcome if isinstance(outcome, SkucutError) else None
            bar.write(f"skucut: error: {path}: {one_line(outcome)}", file=sys.stderr)
    bar.close()
    if args.review_list:
        lines = "".join(f"{path}\t{review.reason}\n" for path, review in flagged)
        write_atomic(Path(args.review_list), lines.encode())
    rate = len(items) / max(time.perf_counter() - started, 1e-9)
    print(
        f"skucut: {len(items) - failed} done, {failed} failed, {len(flagged)} need review"
        f" ({rate:.1f} images/s)",
        file=sys.stderr,
    )
    if failed:
        return last_error.exit_code if last_error and failed == len(items) == 1 else 1
    return 0


def one_line(exc: BaseException) -> str:
    """An error as one line: OSError's own words, otherwise the message (or the type)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    # Not one of ours: say what it was, so a bug report has something to go on.
    ours = isinstance(exc, SkucutError | ValueError)
    text = str(exc) if ours else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split()) or type(exc).__name__


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
    except Exception as exc:
        fail(f"stdin: {one_line(exc)}")
        return getattr(exc, "exit_code", 1)
    if args.output and args.output != "-":
        write_atomic(Path(args.output), result.data)
    else:
        sys.stdout.buffer.write(result.data)
        sys.stdout.buffer.flush()
    if result.review.needs_review:
        print(f"skucut: needs review: {result.review.reason}", file=sys.stderr)
    return 0
