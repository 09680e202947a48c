"""`skucut bench`: what each model variant costs and delivers on this machine.

Per model and input side: parameters, GFLOPs (counted from the ONNX graph itself, so float,
int8 and pruned files are counted alike), median latency, and the achieved share of this CPU's
measured peak (a matrix multiply in onnxruntime at the same precision and thread count). Per
model: images/s of ``skucut remove`` over a folder of photos end to end (decode, mask, refine,
encode; a separate process, its start-up measured on an empty folder and left out), that
process's peak RSS, and dev-set IoU / S-measure.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from skucut.io.decode import IMAGE_EXTS
from skucut.runtime.session import Segmenter


def session_ms(session: ort.InferenceSession, side: int, runs: int) -> float:
    """Median ms of ``runs`` calls on a 1x3xSIDExSIDE input, after one warm-up call."""
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((1, 3, side, side)).astype(np.float32)
    session.run(None, {name: x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def onnx_cost(path: str | Path, side: int) -> tuple[int, float]:
    """(parameters, GFLOPs) of a model file for one SIDE x SIDE image: convolutions and matrix
    products, 2 FLOPs per multiply-accumulate. Shapes come from onnxruntime's symbolic shape
    inference, which follows the shape arithmetic of padded (TensorFlow-'SAME') convolutions
    where ONNX's own inference gives up."""
    from onnxruntime.tools.symbolic_shape_infer import SymbolicShapeInference

    model = onnx.load(str(path))
    for dim, value in zip(
        model.graph.input[0].type.tensor_type.shape.dim, (1, 3, side, side), strict=True
    ):
        dim.dim_value = value  # replaces a symbolic (dynamic) size
    graph = SymbolicShapeInference.infer_shapes(model, auto_merge=True).graph
    shapes = {t.name: list(t.dims) for t in graph.initializer}
    for info in (*graph.value_info, *graph.input, *graph.output):
        shapes[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    params, macs = 0, 0
    for node in graph.node:
        if node.op_type == "Conv":
            weight, out = shapes[node.input[1]], shapes[node.output[0]]
            params += math.prod(weight) + (weight[0] if len(node.input) > 2 else 0)
            macs += math.prod(weight) * math.prod(out[2:])
        elif node.op_type in ("MatMul", "Gemm"):
            weight, out = shapes[node.input[1]], shapes[node.output[0]]
            params += math.prod(weight)
            macs += math.prod(out) * shapes[node.input[0]][-1]
    return params, 2 * macs / 1e9


def peak_gflops(int8: bool, threads: int, n: int = 1024, runs: int = 10) -> float:
    """This CPU's measured matrix-multiply rate in onnxruntime (GFLOP/s; int8: GOP/s)."""
    rng = np.random.default_rng(0)
    if int8:
        a = rng.integers(0, 255, (n, n), dtype=np.uint8)
        b = numpy_helper.from_array(rng.integers(-127, 127, (n, n), dtype=np.int8), "b")
        node = helper.make_node("MatMulInteger", ["a", "b"], ["c"])
        types = (TensorProto.UINT8, TensorProto.INT32)
    else:
        a = rng.standard_normal((n, n)).astype(np.float32)
        b = numpy_helper.from_array(rng.standard_normal((n, n)).astype(np.float32), "b")
        node = helper.make_node("MatMul", ["a", "b"], ["c"])
        types = (TensorProto.FLOAT, TensorProto.FLOAT)
    graph = helper.make_graph(
        [node],
        "peak",
        [helper.make_tensor_value_info("a", types[0], [n, n])],
        [helper.make_tensor_value_info("c", types[1], [n, n])],
        [b],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model.SerializeToString(), options)
    session.run(None, {"a": a})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {"a": a})
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


@dataclass
class FolderRun:
    images_per_s: float
    startup_s: float
    peak_rss_mb: float


def _timed_process(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one child process; a failure is an error."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: it can never fill up
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed: {errors.read().decode()[-500:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports kB


def folder_run(model: str, photos: Path, extra: list[str]) -> FolderRun:
    """``skucut remove PHOTOS -o TMP -m MODEL`` as a user runs it, minus process start-up."""
    with tempfile.TemporaryDirectory(prefix="skucut-bench-") as tmp:
        base = [sys.executable, "-m", "skucut.cli", "remove", "-m", model, *extra]
        empty = Path(tmp) / "empty"
        empty.mkdir()
        startup, _ = _timed_process([*base, str(empty), "-o", str(Path(tmp) / "o0")])
        total, rss = _timed_process([*base, str(photos), "-o", str(Path(tmp) / "out")])
    count = sum(1 for p in photos.iterdir() if p.suffix.lower() in IMAGE_EXTS)
    return FolderRun(count / max(total - startup, 1e-9), startup, rss)


def resized_photos(source: Path, out: Path, n: int, side: int) -> Path:
    """The first ``n`` photos of ``source``, scaled to ``side`` px on the long side (JPEG 90)."""
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_EXTS)[:n]
    if not files:
        raise FileNotFoundError(f"no photos in {source}")
    for path in files:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        scale = side / max(image.shape[:2])
        size = (round(image.shape[1] * scale), round(image.shape[0] * scale))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, size, interpolation=interpolation)
        cv2.imwrite(str(out / f"{path.stem}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return out


def dev_metrics(model: str, data: Path) -> tuple[float, float]:
    """Mean IoU and S-measure of the raw model on a dev set, at original resolution."""
    from skucut.metrics import evaluate_dataset, summarize
    from skucut.pipeline import load_segmenter

    segmenter = load_segmenter(model)
    summary = summarize(evaluate_dataset(segmenter.predict, data))
    return summary["iou"], summary["s_measure"]


def run_ladder(
    models: list[str],
    sides: list[int],
    runs: int,
    threads: int,
    photos: Path | None,
    remove_args: list[str],
    dev: Path | None,
) -> Iterator[str]:
    """The bench as markdown table lines, yielded as they are measured."""
    from skucut.catalog import resolve_model

    peaks = {False: peak_gflops(False, threads), True: peak_gflops(True, threads)}
    yield (
        f"Measured peak, onnxruntime matrix multiply 1024^3 on {threads} thread(s): "
        f"fp32 {peaks[False]:.0f} GFLOP/s, int8 {peaks[True]:.0f} GOP/s"
    )
    yield ""
    yield "| model | side | params | GFLOPs | median ms | GFLOP/s | % of peak |"
    yield "|---|---|---|---|---|---|---|"
    for name in models:
        segmenter = Segmenter(resolve_model(name), threads=threads)
        int8 = segmenter.cfg.precision == "int8"
        for side in [segmenter.cfg.input_size, *sides]:
            params, gflop = onnx_cost(segmenter.path, side)
            ms = session_ms(segmenter.session, side, runs)
            rate = gflop / ms * 1000
            yield (
                f"| {name} | {side} | {params / 1e6:.2f} M | {gflop:.2f} | {ms:.1f} | "
                f"{rate:.0f} | {100 * rate / peaks[int8]:.0f}% |"
            )
    if photos is None and dev is None:
        return
    yield ""
    yield "| model | folder images/s | start-up s | peak RSS MB | dev IoU | dev S |"
    yield "|---|---|---|---|---|---|"
    for name in models:
        run = folder_run(name, photos, remove_args) if photos else None
        folder = (
            f"{run.images_per_s:.2f} | {run.startup_s:.1f} | {run.peak_rss_mb:.0f}"
            if run
            else "- | - | -"
        )
        accuracy = "{:.4f} | {:.4f}".format(*dev_metrics(name, dev)) if dev else "- | -"
        yield f"| {name} | {folder} | {accuracy} |"
