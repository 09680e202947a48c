"""Channel pruning: the weakest channels go, the wiring stays right, and a pruned run
fine-tunes, resumes and exports like any model."""

import pytest

torch = pytest.importorskip("torch")

from skucut.cli import main  # noqa: E402
from skucut.export.onnx_export import export_onnx  # noqa: E402
from skucut.modelcfg import ModelCfg  # noqa: E402
from skucut.models.cost import gflops, param_count  # noqa: E402
from skucut.models.unet import UNet  # noqa: E402
from skucut.train.checkpoint import load_checkpoint  # noqa: E402
from skucut.train.config import TrainConfig  # noqa: E402
from skucut.train.loop import train  # noqa: E402
from skucut.train.prune import blocks, prune_to_flops, prune_unet  # noqa: E402


def _trained_looking(seed=0) -> UNet:
    """A U-Net with varied BN statistics, like trained weights (random init has gamma = 1)."""
    torch.manual_seed(seed)
    model = UNet(base=16, depth=3, max_width=64)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.data.uniform_(0.2, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_keeping_everything_changes_nothing():
    model = _trained_looking()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(prune_unet(model, 1.0)(x), model(x))


def test_dead_channels_are_the_ones_removed():
    # Zero half of every layer's channels (gamma = beta = 0: they output exactly 0). Keeping
    # half must then keep precisely the live ones, through every skip and concatenation.
    model = _trained_looking()
    for block in blocks(model):
        for bn in (block[1], block[4]):
            dead = torch.randperm(bn.num_features)[: bn.num_features // 2]
            bn.weight.data[dead] = 0
            bn.bias.data[dead] = 0
    pruned = prune_unet(model, 0.5)
    assert pruned.channels[0] == [8, 8] and pruned.channels[3] == [32, 32]
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(pruned(x), model(x), atol=1e-5)
    assert param_count(pruned) < 0.3 * param_count(model)


def test_prune_to_flops_hits_the_target_from_below():
    model = _trained_looking()
    full = gflops(model, 64)
    for ratio in (0.5, 0.3):
        share = gflops(prune_to_flops(model, ratio, 64), 64) / full
        assert ratio - 0.12 < share <= ratio
    with pytest.raises(ValueError, match="floor"):
        prune_to_flops(model, 0.01, 64)
    with pytest.raises(ValueError, match="unet"):
        prune_unet(torch.nn.Conv2d(3, 3, 1), 0.5)


def _cfg(pair_folder, out, **kw):
    return TrainConfig(
        **{
            "arch": "unet",
            "arch_kwargs": {"base": 16, "depth": 2, "max_width": 32},
            "train_size": 32,
            "input_size": 32,
            "train_dirs": [str(pair_folder)],
            "val_dirs": [str(pair_folder)],
            "batch_size": 4,
            "warmup_steps": 2,
            "lr": 0.01,
            "out_dir": str(out),
            "val_every": 1000,
            "ckpt_every": 1000,
            **kw,
        }
    )


def test_pruned_fine_tune_resumes_and_exports(pair_folder, tmp_path):
    train(_cfg(pair_folder, tmp_path / "full", steps=30))
    recipe = {"steps": 6, "init_from": str(tmp_path / "full" / "best.pt"), "prune_flops": 0.5}
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    train(_cfg(pair_folder, straight, **recipe))
    train(_cfg(pair_folder, resumed, **recipe), stop_after=3)
    train(_cfg(pair_folder, resumed, **recipe))  # prunes again to the same shape, then resumes
    a, b = (load_checkpoint(d / "last.pt") for d in (straight, resumed))
    for key in a["model"]:
        assert torch.allclose(a["model"][key].float(), b["model"][key].float(), atol=1e-6), key
    cfg = ModelCfg.from_json(a["model_cfg"])
    assert cfg.arch_kwargs["channels"][0] == [8, 8]  # 16 wide before
    cfg = export_onnx(straight / "best.pt", tmp_path / "pruned.onnx")
    assert (tmp_path / "pruned.onnx").stat().st_size > 0 and cfg.arch_kwargs["channels"]


def _params(printed: str, label: str) -> int:
    """The parameter count on the line ``label   12,345 params, ...`` that prune prints."""
    line = next(line for line in printed.splitlines() if line.startswith(label))
    return int(line.split()[1].replace(",", ""))


def test_prune_command(pair_folder, tmp_path, capsys):
    train(_cfg(pair_folder, tmp_path / "full", steps=2))
    ckpt = str(tmp_path / "full" / "best.pt")
    out = tmp_path / "p50"
    assert main(["prune", ckpt, "--flops", "0.5", "--out-dir", str(out), "--steps", "2"]) == 0
    printed = capsys.readouterr().out
    assert "channels" in printed
    pruned_params = _params(printed, "pruned")
    saved = TrainConfig.from_file(out / "config.yaml")
    assert saved.prune_flops == 0.5 and saved.init_from == ckpt and saved.model_version == "0-p50"
    assert ModelCfg.from_json(load_checkpoint(out / "best.pt")["model_cfg"]).version == "0-p50"
    # Pruning in stages: the pruned model is pruned further, from its own shape.
    again = ["prune", str(out / "best.pt"), "--flops", "0.8", "--out-dir", "x", "--dry-run"]
    assert main(again) == 0
    printed = capsys.readouterr().out
    assert _params(printed, "trained") == pruned_params > _params(printed, "pruned")
    # A ratio below what 8-channel layers allow is one line.
    assert main(["prune", ckpt, "--flops", "0.001", "--out-dir", "x", "--dry-run"]) == 2
    assert "floor" in capsys.readouterr().err
