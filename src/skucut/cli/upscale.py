"""skucut upscale INPUT... -o OUT --scale 2|4: learned super-resolution of photos or cutouts."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from skucut._files import write_atomic
from skucut.cli._common import fail
from skucut.cli.remove import collect
from skucut.errors import ImageTooLarge, SkucutError
from skucut.io import DEFAULT_MAX_PIXELS, decode_image, encode_cutout
from skucut.io.decode import IMAGE_EXTS
from skucut.upscale import load_upscaler


def register(sub) -> None:
    p = sub.add_parser("upscale", help="enlarge images 2x or 4x with skucut's SR model")
    p.add_argument("inputs", nargs="+", help="image files, folders (recursive) or globs")
    p.add_argument("-o", "--output", required=True, help="output folder, or file for one input")
    p.add_argument("--scale", type=int, choices=[2, 4], default=2, help="(default: 2)")
    p.add_argument(
        "-m",
        "--model",
        default=None,
        help="SR model name or .onnx (default: skucut-sr-x2-v1 or skucut-sr-x4-v1, by --scale)",
    )
    p.add_argument(
        "-f", "--format", default="png", choices=["png", "webp", "jpg"], help="(default: png)"
    )
    p.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality (default: 92)")
    p.set_defaults(run=run)


def upscale_bytes(data: bytes, upscaler, fmt: str, quality: int) -> bytes:
    """Image bytes -> enlarged image bytes; alpha (if any) enlarged with the colour."""
    decoded = decode_image(data, DEFAULT_MAX_PIXELS)
    height, width = decoded.rgb.shape[:2]
    s = upscaler.scale
    if height * width * s * s > DEFAULT_MAX_PIXELS:
        raise ImageTooLarge(f"{width}x{height} x{s} exceeds the {DEFAULT_MAX_PIXELS} px limit")
    if decoded.alpha is None:
        return encode_cutout(upscaler.upscale_rgb(decoded.rgb), None, fmt, quality=quality)
    rgb, alpha = upscaler.upscale_cutout(decoded.rgb, decoded.alpha)
    return encode_cutout(rgb, alpha, fmt, quality=quality)


def run(args) -> int:
    try:
        upscaler = load_upscaler(args.model or args.scale)
    except (SkucutError, ValueError, OSError) as exc:
        fail(str(exc))
        return getattr(exc, "exit_code", 2)
    items = collect(args.inputs)
    out = Path(args.output)
    single = len(items) == 1 and out.suffix.lower() in IMAGE_EXTS and not out.is_dir()
    failed = 0
    for path, rel in tqdm(items, desc="upscale", unit="img", disable=len(items) < 2 or None):
        target = out if single else out / rel.with_suffix("." + args.format)
        try:
            if target.resolve() == path.resolve():
                raise FileExistsError("output would overwrite its input; choose another -o")
            write_atomic(
                target, upscale_bytes(path.read_bytes(), upscaler, args.format, args.quality)
            )
        except (SkucutError, OSError) as exc:
            failed += 1
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            print(f"skucut: error: {path}: {reason}", file=sys.stderr)
    if failed:
        print(f"skucut: {failed} of {len(items)} image(s) failed", file=sys.stderr)
        return 1
    return 0
