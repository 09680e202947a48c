"""skucut quantize: a static int8 (QDQ) copy of a model, calibrated on a folder of photos."""

from __future__ import annotations

from skucut.cli._common import fail


def register(sub) -> None:
    p = sub.add_parser("quantize", help="int8-quantize a model, calibrated on photos")
    p.add_argument("model", help="model name or .onnx file (float32)")
    p.add_argument("-o", "--output", required=True, help="int8 .onnx to write")
    p.add_argument("--calib", required=True, nargs="+", help="folder(s) of representative photos")
    p.add_argument("-n", type=int, default=64, help="calibration photos to use")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        from skucut.optimize.quantize import quantize_model
    except ImportError as exc:
        fail(f"quantization needs the onnx package: pip install 'skucut[optimize]' ({exc.name})")
        return 2
    from skucut.catalog import resolve_model
    from skucut.errors import SkucutError

    try:
        used = quantize_model(resolve_model(args.model), args.output, args.calib, args.n)
    except (SkucutError, OSError, ValueError) as exc:
        fail(str(exc))
        return 2
    print(f"wrote {args.output} (int8, calibrated on {used} photos)")
    return 0
