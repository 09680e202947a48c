"""Architectures side by side: parameters, GFLOPs at 320 and 512, ONNX Runtime CPU latency.

    python bench/arch_compare.py [--runs 20] [--threads 2]

Each registered architecture (at the widths skucut's configs use) is exported untrained to
ONNX and timed with onnxruntime on this CPU (median of ``--runs``, after a warm-up). Dev-set
metrics belong to trained models and live in their model cards. Run on an idle machine.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch

from skucut.models import create_model
from skucut.models.cost import gflops, param_count
from skucut.optimize.ladder import session_ms
from skucut.runtime.session import create_session

ARCHS = {
    "unet (skucut-unet-v1..v4)": ("unet", {"base": 16, "depth": 5, "max_width": 256}),
    "mobile-unet (configs/mobile-unet-v1)": ("mobile-unet", {"width": 1.5, "decoder": 48}),
    "mobile-unet width 1.0": ("mobile-unet", {}),
}
SIDES = (192, 320, 512)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    header = "architecture                            params  " + "  ".join(
        f"GFLOPs@{s}  ms@{s}" for s in SIDES
    )
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for label, (arch, kwargs) in ARCHS.items():
            model = create_model(arch, **kwargs).eval()
            params = param_count(model)
            path = Path(tmp) / f"{arch}.onnx"
            torch.onnx.export(
                model,
                (torch.zeros(1, 3, 320, 320),),
                str(path),
                input_names=["image"],
                dynamic_axes={"image": {2: "h", 3: "w"}},
                dynamo=False,
            )
            session = create_session(path, threads=args.threads)
            cells = [
                f"{gflops(model, s):9.2f}  {session_ms(session, s, args.runs):6.1f}" for s in SIDES
            ]
            print(f"{label:38s} {params / 1e6:5.2f}M  " + "  ".join(cells))


if __name__ == "__main__":
    main()
