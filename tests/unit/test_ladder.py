"""skucut bench: FLOPs counted from the ONNX graph agree with PyTorch's count, and the command
prints a full table for a tiny model."""

import re

import pytest

from skucut.cli import main
from skucut.optimize.ladder import onnx_cost, peak_gflops

torch = pytest.importorskip("torch")


def test_onnx_cost_matches_torch(tiny_model):
    from skucut.export.onnx_export import load_trained_model
    from skucut.models.cost import gflops

    model, _ = load_trained_model(tiny_model.parent / "run" / "best.pt")
    for side in (32, 64):
        params, flops = onnx_cost(tiny_model, side)
        assert flops == pytest.approx(gflops(model, side), rel=1e-6)
    # export folds each BatchNorm into its conv: weights stay, (gamma, beta) become one bias
    bn = sum(m.num_features for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert params == sum(p.numel() for p in model.parameters()) - bn


def test_peak_is_a_plausible_rate():
    assert 1 < peak_gflops(int8=False, threads=1, n=256, runs=3) < 10_000


def test_bench_command_prints_the_ladder(tiny_model, pair_folder, capsys):
    args = ["bench", str(tiny_model), "--sides", "64", "--runs", "2", "--threads", "1"]
    args += ["--photos", str(pair_folder / "images"), "--n", "3", "--side", "80"]
    args += ["--dev", str(pair_folder), "--remove-args", "--refine none"]
    assert main(args) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(f"| {tiny_model}")]
    assert len(rows) == 3  # working side 32, side 64, and the end-to-end row
    cells = rows[-1].strip("|").split("|")
    assert float(cells[1]) > 0 and float(cells[3]) > 50  # images/s, peak RSS in MB
    # the same numbers `skucut eval` gives for this model and set
    from skucut.metrics import evaluate_dataset, summarize
    from skucut.pipeline import load_segmenter

    expected = summarize(evaluate_dataset(load_segmenter(str(tiny_model)).predict, pair_folder))
    assert float(cells[4]) == pytest.approx(expected["iou"], abs=1e-4)
    assert float(cells[5]) == pytest.approx(expected["s_measure"], abs=1e-4)
    assert re.search(r"\| 64 \| .* \| \d+% \|", out)


def test_bench_errors_are_one_line(capsys):
    assert main(["bench", "no-such-model", "--sides", "64"]) == 2
    assert "no-such-model" in capsys.readouterr().err
