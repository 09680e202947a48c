"""float32 vs int8 latency of a model and its quantized copy, per input size and thread count.

    python bench/int8_speed.py FLOAT.onnx INT8.onnx   (e.g. skucut quantize output beside its source)

Sessions are created as the runtime creates them (`skucut.runtime.session.create_session`,
int8 kept for the quantized file); median of ``--runs`` after a warm-up. Run on an idle machine.
"""

from __future__ import annotations

import argparse

from skucut.optimize.ladder import session_ms
from skucut.runtime.session import create_session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("float_model")
    parser.add_argument("int8_model")
    parser.add_argument("--sides", type=int, nargs="+", default=[192, 320, 512])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"{'side':>5}{'threads':>8}{'fp32 ms':>10}{'int8 ms':>10}{'speed-up':>10}")
    for threads in (1, 2):
        fp32 = create_session(args.float_model, threads=threads)
        int8 = create_session(args.int8_model, threads=threads, int8=True)
        for side in args.sides:
            a, b = session_ms(fp32, side, args.runs), session_ms(int8, side, args.runs)
            print(f"{side:>5}{threads:>8}{a:>10.1f}{b:>10.1f}{a / b:>9.2f}x")


if __name__ == "__main__":
    main()
