"""skucut remove INPUT... -o OUT: cut out the product in files, folders, globs or stdin."""

from __future__ import annotations

import glob
import sys
from pathlib import Path

from tqdm import tqdm

from skucut.cli._common import fail, write_atomic
from skucut.errors import SkucutError
from skucut.pipeline import RemoveOptions, load_segmenter, remove_bytes

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic", ".heif"}


def register(sub) -> None:
    p = sub.add_parser("remove", help="remove the background from images")
    p.add_argument(
        "inputs", nargs="+", help="image files, folders (recursive), globs, or - for stdin"
    )
    p.add_argument("-o", "--output", help="output folder, or file for one input; - for stdout")
    p.add_argument(
        "-m", "--model", default=None, help="model name (see `skucut models`) or .onnx path"
    )
    p.add_argument("-f", "--format", default="png", choices=["png", "webp", "jpg"])
    p.add_argument(
        "--bg-color", default=None, help="flatten onto a colour: white, #f0f0f0, 255,255,255"
    )
    p.add_argument("--mask", action="store_true", help="write the alpha mask only (8-bit PNG)")
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave outputs that already exist (resume an interrupted folder run)",
    )
    p.set_defaults(run=run)


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
    try:
        options = RemoveOptions(
            model=args.model, format=args.format, bg_color=args.bg_color, mask=args.mask
        )
        load_segmenter(options.model)  # fail fast on a bad model name, before touching files
    except (SkucutError, ValueError) as exc:
        fail(str(exc))
        return getattr(exc, "exit_code", 2)

    if args.inputs == ["-"]:
        return _run_stdin(args, options)
    items = collect(args.inputs)
    if not args.output:
        fail("-o/--output is required for file inputs")
        return 2
    out = Path(args.output)
    single_file_out = len(items) == 1 and out.suffix.lower() in IMAGE_EXTS and not out.is_dir()
    inputs = {p.resolve() for p, _ in items}

    failed = 0
    last_error: SkucutError | None = None
    bar = tqdm(items, desc="remove", unit="img", disable=len(items) < 2 or None)
    for path, rel in bar:
        target = out if single_file_out else out / rel.with_suffix("." + options.extension)
        try:
            if target.resolve() in inputs:
                raise FileExistsError("output would overwrite an input; choose another -o")
            if args.skip_existing and target.exists():
                continue
            write_atomic(target, remove_bytes(path.read_bytes(), options))
        except (SkucutError, OSError) as exc:
            failed += 1
            last_error = exc if isinstance(exc, SkucutError) else None
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            bar.write(f"skucut: error: {path}: {reason}", file=sys.stderr)
    if failed:
        print(f"skucut: {failed} of {len(items)} image(s) failed", file=sys.stderr)
        return last_error.exit_code if last_error and failed == len(items) == 1 else 1
    return 0


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
