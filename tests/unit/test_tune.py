"""skucut tune: trials are short runs scored on the dev sets, the study resumes from its
SQLite file, and the best recipe is written as a config that loads."""

import pytest

pytest.importorskip("torch")
optuna = pytest.importorskip("optuna")

from skucut.cli import main  # noqa: E402
from skucut.data.augment import AugmentCfg  # noqa: E402
from skucut.train.config import TrainConfig  # noqa: E402
from skucut.train.tune import open_study, run_name, suggest, trial_config  # noqa: E402

RECIPE = """\
arch: unet
arch_kwargs: {{base: 4, depth: 2, max_width: 16}}
train_size: 32
input_size: 32
train_dirs: [{pairs}]
val_dirs: [{pairs}]
batch_size: 4
steps: 500
warmup_steps: 50
lr: 0.01
loss_weights: {{bce: 1.0, iou: 2.0}}
log_every: 100
ckpt_every: 100
out_dir: runs/tiny
"""


def _values(**kw):
    base = dict(lr=0.02, loss_iou=0.5, augment_geometric=2.0, augment_photometric=0.5)
    return optuna.trial.FixedTrial({**base, "corrupt_share": 0.25, **kw})


def test_suggestions_move_the_recipe_within_its_ranges():
    base = TrainConfig(lr=0.01, loss_weights={"bce": 1.0, "iou": 2.0}, augment={"hflip": 0.0})
    changes = suggest(_values(), base)
    assert changes["lr"] == 0.02
    assert changes["loss_weights"] == {"bce": 1.0, "iou": 1.0}  # first kept, second x0.5
    defaults = AugmentCfg()
    assert changes["augment"]["rotate_deg"] == 2 * defaults.rotate_deg
    assert changes["augment"]["brightness"] == 0.5 * defaults.brightness
    assert changes["augment"]["hflip"] == 0.0  # the recipe's own change is kept
    assert changes["corrupt_share"] == 0.25
    assert "composite_weight" not in changes  # the recipe has no composite sources
    assert "encoder_lr_scale" not in changes  # a plain U-Net has no pretrained encoder
    with_sources = base.replace(cutout_dirs=["cutouts"])
    assert suggest(_values(composite_weight=0.3), with_sources)["composite_weight"] == 0.3


def test_trial_runs_are_short_and_named_by_their_values(tmp_path):
    base = TrainConfig(lr=0.01, steps=5000, warmup_steps=300, ckpt_every=100, out_dir="runs/x")
    changes = suggest(_values(), base)
    cfg = trial_config(base, changes, 40, tmp_path)
    assert (cfg.steps, cfg.warmup_steps, cfg.val_every, cfg.ckpt_every) == (40, 4, 40, 10)
    assert cfg.out_dir == str(tmp_path / run_name(changes, 40))
    assert run_name(suggest(_values(), base), 40) == run_name(changes, 40)  # a retry finds it
    assert run_name(suggest(_values(lr=0.009), base), 40) != run_name(changes, 40)
    assert run_name(changes, 80) != run_name(changes, 40)


def test_tune_command_writes_the_best_recipe_and_resumes(pair_folder, tmp_path, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(RECIPE.format(pairs=pair_folder))
    out = tmp_path / "search"
    argv = ["tune", "--config", str(config), "--budget-steps", "2", "--out-dir", str(out)]
    assert main([*argv, "--trials", "2"]) == 0
    printed = capsys.readouterr().out
    assert "best: trial" in printed and (out / "study.db").is_file()
    storage = f"sqlite:///{out / 'study.db'}"
    study = open_study(storage, "tiny", seed=0)
    done = [t for t in study.trials if t.value is not None]
    assert len(done) == 2 and all(0.0 <= t.value <= 1.0 for t in done)
    best = TrainConfig.from_file(out / "best.yaml")
    assert best.lr == pytest.approx(study.best_trial.params["lr"])
    assert best.loss_weights["iou"] == pytest.approx(2.0 * study.best_trial.params["loss_iou"])
    assert (best.steps, best.out_dir) == (500, "runs/tiny-tuned")  # its full schedule
    assert (out / "best.yaml").read_text().startswith("# skucut tune: best of tiny")

    # Resume: asking for 3 finished trials runs one more, not three.
    assert main([*argv, "--trials", "3"]) == 0
    study = open_study(storage, "tiny", seed=0)
    assert len([t for t in study.trials if t.value is not None]) == 3
    assert len(list(out.glob("trial-*"))) == 3
    assert main([*argv, "--trials", "3"]) == 0  # nothing left to do
    assert len(open_study(storage, "tiny", seed=0).trials) == 3


def test_a_cut_off_trial_is_redone_with_its_values_from_its_checkpoint(
    pair_folder, tmp_path, monkeypatch
):
    import time
    from pathlib import Path

    import torch

    from skucut.train import tune as tuning
    from skucut.train.loop import train

    monkeypatch.setattr(tuning, "HEARTBEAT_S", 1)
    monkeypatch.setattr(tuning, "GRACE_S", 1)
    config = tmp_path / "tiny.yaml"
    config.write_text(RECIPE.format(pairs=pair_folder))
    base, out = TrainConfig.from_file(config), tmp_path / "search"
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    # A process starts a trial, trains 2 of its 4 steps, and dies.
    study = open_study(storage, "tiny", seed=0)
    trial = study.ask()
    cut_off = trial_config(base, suggest(trial, base), 4, out)
    train(cut_off, stop_after=2)
    study._storage.record_heartbeat(trial._trial_id)
    time.sleep(2.5)
    tuning.tune(base, 1, 4, storage, "tiny", out)
    study = open_study(storage, "tiny", seed=0)
    states = [t.state.name for t in study.trials]
    assert states == ["FAIL", "COMPLETE"]
    assert study.trials[1].params == study.trials[0].params
    assert study.trials[1].user_attrs["run"] == cut_off.out_dir
    assert [p.name for p in out.iterdir()] == [Path(cut_off.out_dir).name]  # no new run
    state = torch.load(Path(cut_off.out_dir) / "last.pt", weights_only=False)
    assert state["step"] == 4 and state["config"]["lr"] == study.trials[0].params["lr"]
