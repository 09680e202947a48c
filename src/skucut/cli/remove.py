"""skucut remove INPUT... -o OUT: cut out the product in files, folders, globs or stdin."""

from __future__ import annotations

import argparse
import dataclasses
import glob
import os
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from skucut._files import write_atomic
from skucut._system import usable_cores
from skucut.catalog import DEFAULT_MODEL
from skucut.cli._common import fail
from skucut.cli._process import (
    Tally,
    one_line,
    ordered_map,
    processor,
)
from skucut.cli.watch import watch
from skucut.compose import ALIGNS, BG_FITS, SHADOWS
from skucut.enhance import ENHANCE_HELP
from skucut.errors import SkucutError
from skucut.io.decode import IMAGE_EXTS
from skucut.pipeline import (
    UPSCALE_CHOICES,
    RemoveOptions,
    load_segmenter,
    prepare,
    remove_bytes,
)
from skucut.presets import BUILTIN
from skucut.refine import REFINE_MODES

EXAMPLES = """\
examples:
  skucut remove photo.jpg -o cutout.png                # transparent PNG
  skucut remove shop/ -o out/ --preset white-main      # marketplace main images
  skucut remove photo.jpg -o white.jpg --bg-color white
  skucut remove shop/ -o masks/ --mask                 # alpha masks only
  skucut remove shop/ -o out/ --preset amazon-main  # the product alone
  skucut remove shop/ -o out/ --explain why/           # + a picture of what was decided
  skucut remove --watch inbox/ -o out/                 # hot folder, until Ctrl+C
  cat photo.jpg | skucut remove - > cutout.png"""


def _default(name: str):
    """The option's default, from RemoveOptions (one place for them)."""
    return RemoveOptions.__dataclass_fields__[name].default


def register(sub) -> None:
    p = sub.add_parser(
        "remove",
        help="remove the background from images",
        description="Cut the product out of photos: files, folders, globs, stdin or a hot "
        "folder (--watch).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "inputs", nargs="*", help="image files, folders (recursive), globs, or - for stdin"
    )
    p.add_argument(
        "-o", "--output", metavar="OUT", help="output folder, or a file for one input; - for stdout"
    )
    add_result_options(p, "or the preset's, or -o's extension")
    add_output_options(p)
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="images processed at once (default: cores)",
    )
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave outputs that already exist (resume an interrupted folder run; default: off)",
    )
    p.add_argument(
        "--review-list",
        metavar="FILE",
        help="write the inputs whose cutouts need a person's check, one per line with why "
        "(default: none; the summary line counts them)",
    )
    p.add_argument(
        "--explain",
        metavar="DIR",
        help="also write DIR/STEM.png per photo: the cutout's outline, where the model is "
        "unsure, its person map and each separate part kept or dropped (default: none)",
    )
    watch = p.add_argument_group("hot folder")
    watch.add_argument(
        "--watch",
        metavar="DIR",
        help="process photos as they arrive in DIR (and its sub-folders, kept under -o) until "
        "Ctrl+C; photos already done are skipped (default: off)",
    )
    watch.add_argument(
        "--settle",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="with --watch: a photo is taken once its size and time have not changed for this "
        "long, so files still being copied are left alone (default: %(default)s)",
    )
    p.set_defaults(run=run)


def add_result_options(p, format_also: str) -> None:
    """Model, format and mask: shared with every command that writes cutouts."""
    p.add_argument(
        "-m",
        "--model",
        default=None,
        metavar="NAME",
        help=f"model name (see `skucut models`) or .onnx path (default: {DEFAULT_MODEL})",
    )
    p.add_argument(
        "-f",
        "--format",
        default=None,
        choices=["png", "webp", "jpg"],
        help=f"output format (default: {_default('format')}, {format_also})",
    )
    p.add_argument(
        "--quality",
        type=int,
        default=None,
        metavar="N",
        help=f"JPEG/WebP quality, 1-100 (default: {_default('quality')})",
    )
    p.add_argument(
        "--mask",
        action="store_true",
        default=None,
        help="write only the alpha mask, an 8-bit PNG of the input's size; not with a preset "
        "or composition options (default: off)",
    )


def add_output_options(p) -> None:
    """Edge and composition options, shared with every command that writes cutouts."""
    edges = p.add_argument_group("edges")
    edges.add_argument(
        "--refine",
        choices=list(REFINE_MODES),
        default=None,
        help="edge refinement: none, guided (guided filter only, fast), fast (graph cut at "
        "512 px, best product edges), quality (graph cut at 1024 px), learned (the learned "
        f"refiner, experimental) (default: {_default('refine')})",
    )
    edges.add_argument(
        "--no-cleanup",
        dest="cleanup",
        action="store_false",
        default=None,
        help="keep the specks and holes the model left (default: cleaned up)",
    )
    edges.add_argument(
        "--no-decontaminate",
        dest="decontaminate",
        action="store_false",
        default=None,
        help="keep the original colours in semi-transparent edges (default: decontaminated)",
    )
    edges.add_argument(
        "--product-only",
        action="store_true",
        default=None,
        help="the product alone: remove the person wearing or holding it (skin, hair, face, "
        "hands); needs a model with a person map, as the default skucut-quality-v4 (default: off)",
    )
    edges.add_argument(
        "--upscale",
        choices=list(UPSCALE_CHOICES),
        default=None,
        help="learned super-resolution of the cutout; auto: when the canvas would enlarge it "
        f"1.5x or more (default: {_default('upscale')}; canvas presets: auto)",
    )
    photo = p.add_argument_group("photo")
    photo.add_argument(
        "--enhance",
        default=None,
        metavar="auto|off|STEPS",
        help=f"{ENHANCE_HELP} (default: {_default('enhance')}; see docs/enhance.md)",
    )
    out = p.add_argument_group("composition")
    out.add_argument(
        "--preset",
        default=None,
        metavar="NAME",
        help=f"named output recipe: {', '.join(BUILTIN)}, or one from --preset-file; explicit "
        "options win (default: none; `skucut presets` describes them)",
    )
    out.add_argument(
        "--preset-file",
        default=None,
        metavar="FILE",
        help="TOML/YAML/JSON file of custom presets (default: none)",
    )
    out.add_argument(
        "--bg-color",
        default=None,
        metavar="COLOUR",
        help="background colour: white, #f0f0f0 or 255,255,255 (default: transparent)",
    )
    out.add_argument(
        "--bg-image", default=None, metavar="FILE", help="background photo (default: none)"
    )
    out.add_argument(
        "--bg-fit",
        choices=list(BG_FITS),
        default=None,
        help="fill: cover the output, cropped; fit: inside it, padded with --bg-color "
        f"(default: {_default('bg_fit')})",
    )
    out.add_argument(
        "--trim",
        action="store_true",
        default=None,
        help="crop to the product plus --margin (default: off)",
    )
    out.add_argument(
        "--margin",
        default=None,
        metavar="PX|N%",
        help="space around a trimmed product: pixels, or N%% of its longer side "
        f"(default: {_default('margin')})",
    )
    out.add_argument(
        "--canvas",
        default=None,
        metavar="WxH",
        help="fixed output size, e.g. 2000x2000, product scaled to --fill (default: the "
        "input's size)",
    )
    out.add_argument(
        "--fill",
        type=float,
        default=None,
        metavar="SHARE",
        help="share of --canvas the product's longer side fills, 0.05-1 "
        f"(default: {_default('fill')})",
    )
    out.add_argument(
        "--align",
        choices=list(ALIGNS),
        default=None,
        help="product position on --canvas; bottom: a common baseline "
        f"(default: {_default('align')})",
    )
    out.add_argument(
        "--shadow",
        choices=list(SHADOWS),
        default=None,
        help=f"shadow under the product (default: {_default('shadow')})",
    )
    out.add_argument(
        "--shadow-opacity",
        type=float,
        default=None,
        metavar="0-1",
        help=f"0-1 (default: {_default('shadow_opacity')})",
    )


OPTION_NAMES = [
    "model",
    "format",
    "quality",
    "mask",
    "refine",
    "cleanup",
    "decontaminate",
    "product_only",
    "upscale",
    "enhance",
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
    if args.watch and args.inputs:
        fail("give inputs or --watch DIR, not both")
        return 2
    if not args.watch and not args.inputs:
        fail("give image files, folders or globs, - for stdin, or --watch DIR")
        return 2
    items = [] if args.inputs in ([], ["-"]) else collect(args.inputs)
    jobs = max(1, args.jobs or usable_cores())
    jobs = jobs if args.watch else min(jobs, max(1, len(items)))
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
    if args.watch:
        return watch(args, options, jobs)
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
    explain_names = {}
    if args.explain:  # DIR/REL.png beside nothing it could overwrite
        explain_names = {
            target: Path(args.explain) / rel.with_suffix(".png")
            for (_, rel), target in zip(items, targets, strict=True)
        }
        pictures = list(explain_names.values())
        clashes = clashing_outputs([*pictures, *targets]) + [
            str(p) for p in pictures if os.path.realpath(p) in inputs
        ]
        if clashes:
            fail(f"--explain {args.explain} would overwrite an output or input: {clashes[0]}")
            return 2
    process = processor(options, args.skip_existing, inputs, explain_names)
    tally = Tally()
    bar = tqdm(total=len(items), desc="remove", unit="img", disable=len(items) < 2 or None)
    # Images run in threads (decode, inference, refinement and encoding release the GIL), so
    # one image's decode or PNG encode overlaps another's inference.
    work = [(path, target) for (path, _), target in zip(items, targets, strict=True)]
    with ThreadPoolExecutor(jobs) as pool:
        for (path, _), outcome in zip(
            work, ordered_map(pool, process, work, 2 * jobs), strict=True
        ):
            bar.update(1)
            tally.record(path, outcome, lambda line: bar.write(line, file=sys.stderr))
    bar.close()
    return tally.finish(args.review_list)


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
    if result.review.enhancement is not None:
        print(f"skucut: enhance: {result.review.enhancement.summary()}", file=sys.stderr)
    return 0
