"""skucut explain PHOTO... -o DIR [--cam]: what the model saw, one picture per photo."""

from __future__ import annotations

import argparse
from pathlib import Path

from skucut._files import write_atomic
from skucut.cli._common import fail

EXAMPLES = """\
examples:
  skucut explain shop/ -o why/                        # outline, unsure areas, person map, parts
  skucut explain shop/ -o why/ --product-only
  skucut explain shop/ -o cam/ --cam                  # Grad-CAM of the encoder (train extra)"""


def register(sub) -> None:
    p = sub.add_parser(
        "explain",
        help="pictures of what the model saw and decided (Grad-CAM with --cam)",
        description="Write DIR/STEM.png per photo: the cutout's outline with the model's "
        "uncertainty as a heat overlay, its person map and each separate part kept or dropped "
        "(the pictures `skucut remove --explain DIR` writes beside the cutouts); with --cam, "
        "a Grad-CAM of the encoder for the subject output instead.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", help="image files, folders (recursive) or globs")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder for the pictures")
    p.add_argument("-m", "--model", default=None, metavar="NAME", help="model name or .onnx path")
    p.add_argument(
        "--product-only", action="store_true", default=None, help="explain product-only cutouts"
    )
    p.add_argument(
        "--cam",
        action="store_true",
        help="Grad-CAM of the encoder for the subject output (needs the train extra and the "
        "model's weights: weights.pt beside a shipped model, or --weights)",
    )
    p.add_argument("--weights", metavar="FILE", help="with --cam: a weights file or checkpoint")
    p.set_defaults(run=run)


def _weights(args) -> Path:
    from skucut.catalog import resolve_model

    if args.weights:
        return Path(args.weights)
    beside = resolve_model(args.model).parent / "weights.pt"
    if not beside.exists():
        raise FileNotFoundError(f"no weights.pt beside {resolve_model(args.model)}; give --weights")
    return beside


def run(args) -> int:
    from skucut.cli._process import one_line, read_regular_file
    from skucut.cli.remove import collect
    from skucut.io import decode_image

    items = collect(args.inputs)
    out = Path(args.output)
    try:
        if args.cam:
            try:
                from skucut.cam import draw_cam, grad_cam, load_torch_model
            except ImportError:
                fail("skucut explain --cam needs the train extra: pip install 'skucut[train]'")
                return 2
            model, cfg = load_torch_model(_weights(args))
        else:
            from skucut.explain import explain_png
            from skucut.pipeline import RemoveOptions, prepare, render

            options = RemoveOptions(
                model=args.model, mask=True, product_only=bool(args.product_only)
            )
            prepare(options)
    except Exception as exc:
        fail(one_line(exc))
        return getattr(exc, "exit_code", 2)
    failed = 0
    for path, rel in items:
        try:
            decoded = decode_image(read_regular_file(path))
            if args.cam:
                import cv2

                cam, prob = grad_cam(model, cfg, decoded.rgb)
                picture = draw_cam(decoded.rgb, cam, prob)
                _, data = cv2.imencode(".png", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
                data = data.tobytes()
            else:
                _, _, review = render(decoded, options)
                data = explain_png(decoded.rgb, review)
            write_atomic(out / rel.with_suffix(".png"), data)
        except Exception as exc:  # one bad photo never stops the rest
            failed += 1
            fail(f"{path}: {one_line(exc)}")
    print(f"skucut: {len(items) - failed} explained, {failed} failed -> {out}")
    return 1 if failed else 0
