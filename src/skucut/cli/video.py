"""skucut video IN -o OUT and skucut spin FRAMES/ -o OUT/: the image pipeline over time."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

from skucut.catalog import DEFAULT_MODEL
from skucut.cli._common import fail
from skucut.cli._process import one_line
from skucut.compose import BG_FITS, SHADOWS
from skucut.errors import SkucutError
from skucut.pipeline import RemoveOptions
from skucut.presets import BUILTIN
from skucut.refine import REFINE_MODES

VIDEO_EXAMPLES = """\
examples:
  skucut video clip.mp4 -o clip.webm                  # VP9 with alpha
  skucut video clip.mov -o clip-alpha.mov             # ProRes 4444 with alpha
  skucut video clip.mp4 -o white.mp4 --bg-color white # H.264 on a new background
  skucut video clip.mp4 -o frames/                    # PNG frames with alpha
  skucut video frames/ -o loop.webp --fps 12          # a folder of frames as animated WebP"""

SPIN_EXAMPLES = """\
examples:
  skucut spin turntable/ -o spin/ --preset white-main
  skucut spin turntable/ -o spin/ --preset transparent-trim --fps 24"""


def _default(name: str):
    return RemoveOptions.__dataclass_fields__[name].default


def _model_and_edges(p) -> None:
    p.add_argument(
        "-m",
        "--model",
        default=None,
        metavar="NAME",
        help=f"model name or .onnx path (default: {DEFAULT_MODEL})",
    )
    p.add_argument(
        "--refine",
        choices=list(REFINE_MODES),
        default=None,
        help=f"edge refinement (default: {_default('refine')}; guided is ~2x faster a frame)",
    )
    p.add_argument(
        "--no-cleanup",
        dest="cleanup",
        action="store_false",
        default=None,
        help="keep specks (default: cleaned)",
    )
    p.add_argument(
        "--no-decontaminate",
        dest="decontaminate",
        action="store_false",
        default=None,
        help="keep the old background's colour in edges (default: decontaminated)",
    )


def register(sub) -> None:
    p = sub.add_parser(
        "video",
        help="remove the background of a video (alpha video out)",
        description="Cut the product out of every frame of a video (MP4, MOV, WebM, GIF, ...) "
        "or a folder of frames. The output's extension picks the format: .webm (VP9) and "
        ".mov (ProRes 4444) and .webp (animated) keep alpha; .mp4 (H.264) needs --bg-color or "
        "--bg-image; any other name is a folder of PNG frames. Frame rate, length and (in "
        "WebM, MOV and MP4) the sound are kept.",
        epilog=VIDEO_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="video file or folder of frames")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="output file or folder")
    _model_and_edges(p)
    p.add_argument(
        "--bg-color", default=None, metavar="COLOUR", help="new background colour (default: none)"
    )
    p.add_argument(
        "--bg-image", default=None, metavar="FILE", help="new background photo (default: none)"
    )
    p.add_argument("--bg-fit", choices=list(BG_FITS), default=None, help="(default: fill)")
    p.add_argument("--shadow", choices=list(SHADOWS), default=None, help="(default: none)")
    p.add_argument(
        "--mask",
        action="store_true",
        default=None,
        help="write the alpha as a grey video (default: off)",
    )
    p.add_argument(
        "--quality",
        type=int,
        default=None,
        metavar="N",
        help="animated WebP quality 1-100 (default: 92)",
    )
    p.add_argument(
        "--no-smooth",
        dest="smooth",
        action="store_false",
        help="cut every frame on its own (default: the alpha is smoothed over time where "
        "the picture did not change)",
    )
    p.add_argument(
        "--fps", type=float, default=None, help="frame rate of a folder of frames (default: 25)"
    )
    p.add_argument(
        "--max-duration",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="refuse longer videos (default: %(default)s)",
    )
    p.set_defaults(run=run_video)

    s = sub.add_parser(
        "spin",
        help="a 360° spin set with one framing for all frames",
        description="Cut out every frame of a turntable shoot and place them all with one crop "
        "box and scale (the union of the product's extents, with the preset's margin and "
        "alignment), so the product stands still while it turns. Writes OUT/NAME.ext per "
        "frame, spin.webp and spin.mp4 previews and spin.html (drag to turn).",
        epilog=SPIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("frames", help="folder of frames, in name order")
    s.add_argument("-o", "--output", required=True, metavar="OUT", help="output folder")
    s.add_argument(
        "--preset",
        default=None,
        metavar="NAME",
        help=f"output recipe: {', '.join(BUILTIN)} (default: none: transparent PNGs trimmed "
        "to the set's one box)",
    )
    s.add_argument(
        "--preset-file", default=None, metavar="FILE", help="custom presets file (default: none)"
    )
    _model_and_edges(s)
    s.add_argument(
        "-f",
        "--format",
        default=None,
        choices=["png", "webp", "jpg"],
        help="(default: the preset's, else png)",
    )
    s.add_argument(
        "--bg-color", default=None, metavar="COLOUR", help="(default: the preset's, else none)"
    )
    s.add_argument(
        "--canvas", default=None, metavar="WxH", help="(default: the preset's, else the box's size)"
    )
    s.add_argument(
        "--fill",
        type=float,
        default=None,
        metavar="SHARE",
        help="share of --canvas the box fills (default: 0.85)",
    )
    s.add_argument(
        "--margin", default=None, metavar="PX|N%", help="around a trimmed box (default: 0)"
    )
    s.add_argument("--fps", type=float, default=12.0, help="preview speed (default: %(default)s)")
    s.add_argument(
        "--no-preview",
        dest="previews",
        action="store_false",
        help="frames only (default: previews too)",
    )
    s.set_defaults(run=run_spin)


def _bar(desc: str, unit: str):
    """A progress bar on a terminal only (logs and pipes get the summary line)."""
    return tqdm(desc=desc, unit=unit, disable=not sys.stderr.isatty(), file=sys.stderr)


def run_video(args) -> int:
    from skucut.video import build_options, remove_video

    bar = _bar("video", "frame")

    def progress(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    try:
        options = build_options(
            model=args.model,
            refine=args.refine,
            cleanup=args.cleanup,
            decontaminate=args.decontaminate,
            bg_color=args.bg_color,
            bg_image=args.bg_image,
            bg_fit=args.bg_fit,
            shadow=args.shadow,
            mask=args.mask,
            quality=args.quality,
        )
        result = remove_video(
            args.input,
            args.output,
            options,
            smooth=args.smooth,
            fps=args.fps,
            max_seconds=args.max_duration,
            progress=progress,
        )
    except (SkucutError, ValueError, OSError) as exc:
        return _failed(bar, exc)
    bar.close()
    sound = ", sound kept" if result.audio else ""
    print(
        f"skucut: {result.output} ({result.kind}, {result.frames} frames, {result.width}x"
        f"{result.height} at {result.fps:g} fps, {result.seconds:.2f} s{sound}) in "
        f"{result.wall_s:.1f} s ({result.frames / max(result.wall_s, 1e-9):.2f} frames/s)",
        file=sys.stderr,
    )
    return 0


def _failed(bar, exc: Exception) -> int:
    """The progress bar closed and ``exc`` said in one line: the exit code."""
    bar.close()
    fail(one_line(exc))
    return getattr(exc, "exit_code", 2)


def run_spin(args) -> int:
    from skucut.video.spin import spin_set

    bar = _bar("spin", "frame")
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        bar.set_description(f"spin: {stage}")
        bar.total = total
        bar.n = done
        bar.refresh()

    given = {
        name: getattr(args, name)
        for name in ("model", "refine", "cleanup", "decontaminate", "format", "bg_color")
    }
    given.update(canvas=args.canvas, fill=args.fill, margin=args.margin)
    try:
        options = RemoveOptions.build(args.preset, args.preset_file, **given)
        if not (options.trim or options.canvas):  # a spin set is its framing: trim by default
            options = RemoveOptions.build(args.preset, args.preset_file, **given, trim=True)
        result = spin_set(
            args.frames,
            Path(args.output),
            options,
            fps=args.fps,
            previews=args.previews,
            progress=progress,
        )
    except (SkucutError, ValueError, OSError) as exc:
        return _failed(bar, exc)
    bar.close()
    box = "no product found" if result.box is None else f"box {result.box}"
    print(
        f"skucut: {len(result.frames)} frames in {args.output} ({box}; "
        f"{', '.join(p.name for p in result.previews) or 'no previews'}) in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0
