"""The robustness benchmark: corruptions are pure, sized and labelled right; the evaluator's
table measures drops from clean; `skucut eval --corrupt` prints it, with adversarial rows."""

import json

import numpy as np
import pytest

from skucut.metrics.corrupt import CORRUPTIONS, SEVERITIES, corrupt, describe
from skucut.metrics.robust import robustness_rows, robustness_table, summarize_robustness
from tests.conftest import disc_image

GEOMETRIC = {"rotate", "crop"}


def _photo(size=64, seed=0):
    rgb, mask = disc_image(size, seed)
    # a smooth gradient as well as noise, so blur and resolution changes show
    ramp = np.linspace(0, 60, size, dtype=np.float32)[None, :, None]
    return np.clip(rgb + ramp, 0, 255).astype(np.uint8), mask


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_each_corruption_is_pure_and_keeps_size(name):
    rgb, mask = _photo(96)
    for severity in SEVERITIES:
        image, out_mask = corrupt(name, rgb, mask, severity, seed=7)
        again = corrupt(name, rgb, mask, severity, seed=7)
        assert image.shape == rgb.shape and image.dtype == np.uint8
        assert out_mask.shape == mask.shape and set(np.unique(out_mask)) <= {0, 128, 255}
        assert np.array_equal(image, again[0]) and np.array_equal(out_mask, again[1])
        if name not in GEOMETRIC:
            assert np.array_equal(out_mask, mask)  # photometric: labels untouched
    assert rgb.flags.writeable and np.array_equal(rgb, _photo(96)[0])  # input not modified


@pytest.mark.parametrize("name", [n for n in CORRUPTIONS if n != "low_res"])
def test_severity_grows(name):
    rgb, mask = _photo(128)
    change = [
        np.abs(corrupt(name, rgb, mask, s, seed=3)[0].astype(int) - rgb).mean() for s in SEVERITIES
    ]
    assert 0 < change[0] <= change[1] <= change[2], change


def test_low_resolution_is_in_pixels():
    rgb, mask = _photo(400)
    small_side = corrupt("low_res", rgb, mask, 3, seed=0)[0]  # 56 px, enlarged back
    assert small_side.shape == rgb.shape
    assert np.abs(small_side.astype(int) - rgb).mean() > 1
    tiny, _ = _photo(48)
    assert np.array_equal(corrupt("low_res", tiny, tiny[..., 0], 1, seed=0)[0], tiny)


def test_rotation_moves_the_mask_and_ignores_what_it_brings_in():
    rgb, mask = _photo(64)
    image, out = corrupt("rotate", rgb, mask, 3, seed=1)
    assert (out[0, 0], out[-1, -1]) == (128, 128)  # corners came from outside the photo
    assert (out == 128).mean() < 0.2
    assert abs((out == 255).sum() - (mask == 255).sum()) < 0.1 * (mask == 255).sum()
    # the label follows the product: bright pixels are labelled product
    assert image[out == 255].mean() > image[out == 0].mean() + 60


def test_seeds_and_names_are_checked():
    rgb, mask = _photo(64)
    assert not np.array_equal(
        corrupt("noise", rgb, mask, 1, seed=1)[0], corrupt("noise", rgb, mask, 1, seed=2)[0]
    )
    assert describe("jpeg", 2) == "quality 15"
    with pytest.raises(KeyError, match="valid names: jpeg"):
        corrupt("fog", rgb, mask, 1, seed=0)
    with pytest.raises(ValueError, match="severity"):
        corrupt("jpeg", rgb, mask, 4, seed=0)


def _threshold(rgb):
    """A fixed predictor: the bright yellow disc is the product."""
    return (rgb[..., 0].astype(np.float32) > 150).astype(np.float32)


def test_table_measures_the_drop_from_clean(pair_folder):
    rows = robustness_rows(_threshold, pair_folder, ["brightness", "rotate"], seed=0)
    assert len(rows) == 12 * (1 + 2 * 3)
    summary = summarize_robustness(rows)
    clean = summary["clean"]["iou"]
    assert clean > 0.95
    dark = summary["brightness/3"]
    assert dark["d_iou"] == pytest.approx(dark["iou"] - clean)
    common = [r["iou"] for r in rows if r["corruption"] in ("brightness", "rotate")]
    assert summary["corrupted"]["iou"] == pytest.approx(np.mean(common))
    table = robustness_table("discs", summary, 12)
    lines = table.splitlines()
    assert lines[0] == "discs (12 images)"
    assert any(line.startswith("rotate") and "+/-15 deg" in line for line in lines)
    assert lines[-1].startswith("mean") and f"{summary['corrupted']['d_iou']:+.4f}" in lines[-1]
    # a predictor that ignores the photo loses nothing: drops are exactly zero
    flat = summarize_robustness(
        robustness_rows(lambda rgb: np.zeros(rgb.shape[:2]), pair_folder, ["jpeg"])
    )
    assert flat["corrupted"]["d_iou"] == 0.0


@pytest.fixture(scope="module")
def trained(pair_folder, tmp_path_factory):
    """A tiny U-Net trained until it finds the discs (IoU ~0.9): (onnx, checkpoint)."""
    pytest.importorskip("torch")
    from skucut.export import export_onnx
    from skucut.train.config import TrainConfig
    from skucut.train.loop import train

    out = tmp_path_factory.mktemp("trained")
    cfg = TrainConfig(
        arch="unet",
        arch_kwargs={"base": 4, "depth": 2, "max_width": 16},
        train_size=32,
        input_size=32,
        train_dirs=[str(pair_folder)],
        steps=40,
        batch_size=4,
        warmup_steps=2,
        lr=0.01,
        out_dir=str(out / "run"),
        log_every=100,
        ckpt_every=100,
    )
    checkpoint = train(cfg)
    export_onnx(checkpoint, out / "model.onnx")
    return out / "model.onnx", checkpoint


def test_eval_corrupt_command_with_adversarial_rows(trained, pair_folder, tmp_path, capsys):
    from skucut.cli import main

    model, weights = trained
    report = tmp_path / "robust.json"
    argv = ["eval", "--corrupt", "--model", str(model), "--data", str(pair_folder)]
    argv += ["--corruptions", "jpeg", "crop", "--weights", str(weights), "--json", str(report)]
    argv += ["--attack-eps", "2", "4", "8", "--attack-steps", "3"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "PGD-3 eps 2/255" in out
    rows = [line.split() for line in out.splitlines()]
    names = [(r[0], r[1]) for r in rows if r and r[0] in ("jpeg", "crop", "adversarial")]
    assert names == [(n, s) for n in ("jpeg", "crop", "adversarial") for s in "123"]
    results = json.loads(report.read_text())["robustness"][pair_folder.name]
    assert set(results) >= {"clean", "jpeg/1", "crop/3", "adversarial/3", "corrupted"}
    # the attack hurts, and more budget hurts at least as much
    assert results["clean"]["iou"] > 0.8
    adv = [results[f"adversarial/{s}"]["iou"] for s in "123"]
    assert adv[2] < results["clean"]["iou"] - 0.05 and adv[2] < adv[0]
    assert main([*argv[:6], "--corruptions", "fog"]) == 2


def test_eval_corrupt_refuses_weights_of_another_model(trained, tiny_model, pair_folder, capsys):
    from skucut.cli import main

    other = tiny_model.parent / "run" / "best.pt"  # same shape, other weights
    argv = ["eval", "--corrupt", "--model", str(trained[0]), "--data", str(pair_folder)]
    assert main([*argv, "--corruptions", "jpeg", "--weights", str(other)]) == 2
    assert "are not model.onnx's" in capsys.readouterr().err
