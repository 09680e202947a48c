"""skucut train --finetune DIR --from MODEL: a shop's pairs, a held-out split, a comparison."""

from __future__ import annotations

import json
import shutil

import pytest

torch = pytest.importorskip("torch")

from skucut.cli import main  # noqa: E402
from skucut.train.checkpoint import load_checkpoint, save_weights  # noqa: E402
from skucut.train.config import TrainConfig  # noqa: E402
from skucut.train.finetune import plan_finetune  # noqa: E402
from skucut.train.loop import train  # noqa: E402


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory, pair_folder):
    out = tmp_path_factory.mktemp("ft")
    cfg = TrainConfig(
        arch="unet", arch_kwargs={"base": 4, "depth": 2, "max_width": 16}, train_size=32,
        input_size=32, train_dirs=[str(pair_folder)], steps=2, batch_size=4, warmup_steps=1,
        out_dir=str(out / "run"), bf16="off",
    )  # fmt: skip
    weights = out / "weights.pt"
    save_weights(load_checkpoint(train(cfg)), weights)
    return weights


def test_the_plan_holds_out_pairs_and_mixes_in_the_original_data(
    tmp_path, pair_folder, tiny_weights
):
    plan = plan_finetune(pair_folder, str(tiny_weights), tmp_path, steps=10, holdout_every=4)
    cfg = plan.config
    assert len(list((plan.holdout / "images").iterdir())) == 3  # 12 pairs, every 4th held out
    assert len(list((tmp_path / "shop-train" / "masks").iterdir())) == 9
    assert cfg.train_dirs == [str(tmp_path / "shop-train"), str(pair_folder)]
    assert cfg.train_repeats == [1, 1]  # 9 shop pairs beside 12 original: about half already
    assert cfg.init_from == str(tiny_weights) and cfg.model_version.endswith("-ft")
    assert cfg.val_dirs[0] == str(plan.holdout)


def test_finetune_command_trains_exports_and_compares(tmp_path, pair_folder, tiny_weights, capsys):
    out = tmp_path / "shop"
    args = ["train", "--finetune", str(pair_folder), "--from", str(tiny_weights), "--steps", "2",
            "--out-dir", str(out), "--no-replay"]  # fmt: skip
    assert main(args) == 0
    assert (out / "model.onnx").is_file() and (out / "base.onnx").is_file()
    results = json.loads((out / "comparison.json").read_text())
    assert set(results) == {"original", "fine-tuned"}
    assert set(results["fine-tuned"]["shop-holdout"]) >= {"iou", "s_measure", "boundary_f1"}
    assert "shop-holdout    fine-tuned" in capsys.readouterr().out


def test_a_model_without_weights_is_a_clear_error(
    tmp_path, pair_folder, tiny_model, capsys, monkeypatch
):
    bare = tmp_path / "models" / "bare-v1"  # a model file with no weights.pt beside it
    bare.mkdir(parents=True)
    shutil.copy(tiny_model, bare / "model.onnx")
    monkeypatch.setenv("SKUCUT_MODELS_DIR", str(bare.parent))
    args = ["train", "--finetune", str(pair_folder), "--from", "bare-v1", "--out-dir",
            str(tmp_path / "run")]  # fmt: skip
    assert main(args) == 2
    assert "ships no weights.pt" in capsys.readouterr().err


def test_a_finetune_improves_on_the_pairs_the_model_got_wrong(tmp_path, pair_folder, tiny_weights):
    """The tiny base model finds no disc at all; fine-tuned on the shop's disc pairs, it does
    on the ones held out (issue 18: corrections reach the model)."""
    out = tmp_path / "shop"
    args = ["train", "--finetune", str(pair_folder), "--from", str(tiny_weights), "--steps", "80",
            "--holdout-every", "4", "--out-dir", str(out), "--no-replay"]  # fmt: skip
    assert main(args) == 0
    results = json.loads((out / "comparison.json").read_text())
    before = results["original"]["shop-holdout"]["iou"]
    after = results["fine-tuned"]["shop-holdout"]["iou"]
    assert before < 0.2 and after > before + 0.3, (before, after)
