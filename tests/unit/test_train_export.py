"""Training loop (loss goes down, exact resume) and torch/ONNX parity, on tiny generated data."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skucut.export.onnx_export import export_onnx, load_trained_model, parity  # noqa: E402
from skucut.modelcfg import ModelCfg  # noqa: E402
from skucut.models import create_model  # noqa: E402
from skucut.train.checkpoint import save_weights  # noqa: E402
from skucut.train.config import TrainConfig  # noqa: E402
from skucut.train.ema import EMA, inference_weights  # noqa: E402
from skucut.train.loop import rescale_batch, step_side, train  # noqa: E402


def _cfg(pair_folder, out, **kw):
    base = dict(
        arch="unet",
        arch_kwargs={"base": 4, "depth": 2, "max_width": 16},
        train_size=32,
        input_size=32,
        train_dirs=[str(pair_folder)],
        val_dirs=[str(pair_folder)],
        batch_size=4,
        warmup_steps=2,
        lr=0.01,
        out_dir=str(out),
        log_every=1,
        val_every=1000,
        ckpt_every=1000,
    )
    return TrainConfig(**{**base, **kw})


def _losses(out):
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if "loss" in r]


def test_loss_goes_down(pair_folder, tmp_path):
    train(_cfg(pair_folder, tmp_path, steps=40))
    losses = _losses(tmp_path)
    assert np.mean(losses[-5:]) < 0.75 * np.mean(losses[:5])


def test_resume_is_exact(pair_folder, tmp_path):
    # with EMA, multi-scale steps and the boundary losses: all must resume bit for bit
    recipe = {
        "steps": 6,
        "ema_decay": 0.9,
        "scales": [24, 32, 40],
        "loss_weights": {"boundary_bce": 1.0, "boundary_iou": 1.0},
    }
    straight = tmp_path / "straight"
    train(_cfg(pair_folder, straight, **recipe))
    resumed = tmp_path / "resumed"
    train(_cfg(pair_folder, resumed, **recipe), stop_after=3)  # "interrupted"
    train(_cfg(pair_folder, resumed, **recipe))  # picks up at step 3
    a = torch.load(straight / "last.pt", weights_only=False)
    b = torch.load(resumed / "last.pt", weights_only=False)
    for weights in (lambda s: s["model"], inference_weights):
        wa, wb = weights(a), weights(b)
        for key in wa:
            assert torch.allclose(wa[key].float(), wb[key].float(), atol=1e-6), key


def test_ema_averages_and_is_what_gets_exported():
    model = torch.nn.Linear(2, 1)
    ema = EMA(model, decay=0.5)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    for _ in range(50):
        ema.update(model)
    # Converges to the new weights over the updates...
    assert torch.allclose(ema.model.weight, start + 1.0, atol=1e-6)
    # ...but one update moves it only by 1 - warm-up decay (2/11 at the first update).
    ema2 = EMA(torch.nn.Linear(2, 1), decay=0.5)
    ema2.model.weight.data.copy_(start)
    ema2.update(model)
    assert torch.allclose(ema2.model.weight, start + (1 - 2 / 11), atol=1e-6)
    checkpoint = {"model": model.state_dict(), "ema": ema.state_dict()}
    assert inference_weights(checkpoint) is checkpoint["ema"]["model"]
    assert inference_weights({"model": 1, "ema": None}) == 1


def test_config_files(tmp_path):
    (tmp_path / "c.toml").write_text("steps = 7\narch_kwargs = { base = 8 }\n")
    (tmp_path / "c.yaml").write_text("steps: 9\n")
    assert TrainConfig.from_file(tmp_path / "c.toml").arch_kwargs == {"base": 8}
    assert TrainConfig.from_file(tmp_path / "c.yaml").steps == 9
    (tmp_path / "bad.yaml").write_text("stepz: 9\n")
    with pytest.raises(ValueError, match="unknown config keys: stepz"):
        TrainConfig.from_file(tmp_path / "bad.yaml")


def test_onnx_matches_torch_and_carries_model_cfg(tiny_model, tmp_path):
    import onnxruntime as ort

    from skucut.runtime.session import read_model_cfg

    session = ort.InferenceSession(str(tiny_model), providers=["CPUExecutionProvider"])
    cfg = read_model_cfg(session)
    assert isinstance(cfg, ModelCfg) and cfg.name == "tiny" and cfg.input_size == 32
    assert cfg.output_kind == "probability" and "12 image/mask pairs" in cfg.training_data
    ckpt = tiny_model.parent / "run" / "best.pt"
    model, _ = load_trained_model(ckpt)
    wrapped = torch.nn.Sequential(model, torch.nn.Sigmoid()).eval()
    float_path = tmp_path / "float.onnx"
    export_onnx(ckpt, float_path, int8_weights=False)
    assert parity(wrapped, float_path, cfg, seed=3) < 1e-4
    # int8 weight storage: a quarter of the size, probabilities within a few hundredths
    assert tiny_model.stat().st_size < 0.5 * float_path.stat().st_size
    assert parity(wrapped, tiny_model, cfg, seed=3) < 3e-2


def test_init_from_starts_with_given_weights(pair_folder, tmp_path):
    first = tmp_path / "first"
    train(_cfg(pair_folder, first, steps=3))
    second = tmp_path / "second"
    cfg = _cfg(
        pair_folder, second, steps=3, init_from=str(first / "last.pt"), lr=1e-9, warmup_steps=1
    )
    train(cfg)
    a = torch.load(first / "last.pt", weights_only=False)["model"]
    b = torch.load(second / "last.pt", weights_only=False)["model"]
    conv = next(k for k in a if k.endswith("weight") and a[k].ndim == 4)
    assert torch.allclose(a[conv], b[conv], atol=1e-5)  # lr ~0: weights stay where they started


def test_shipped_weights_are_small_and_start_a_run(pair_folder, tmp_path):
    first = tmp_path / "first"
    train(_cfg(pair_folder, first, steps=3))
    weights = tmp_path / "weights.pt"
    save_weights(torch.load(first / "last.pt", weights_only=False), weights)
    assert weights.stat().st_size < 0.5 * (first / "last.pt").stat().st_size  # no optimizer
    saved = torch.load(weights, weights_only=False)
    assert saved["step"] == 3 and saved["config"]["steps"] == 3 and "model_cfg" in saved
    second = tmp_path / "second"
    train(_cfg(pair_folder, second, steps=1, init_from=str(weights), lr=1e-9, warmup_steps=1))
    a = inference_weights(torch.load(first / "last.pt", weights_only=False))
    b = torch.load(second / "last.pt", weights_only=False)["model"]
    conv = next(k for k in a if k.endswith("weight") and a[k].ndim == 4)
    assert b[conv].dtype == torch.float32
    assert torch.allclose(a[conv], b[conv], atol=2e-3)  # float16 rounding only


def test_training_with_composites(pair_folder, tmp_path):
    # Objects cut from the disc pairs, pasted on generated studio backgrounds (no folders).
    cfg = _cfg(pair_folder, tmp_path, steps=3, composite_weight=0.5, objects_from_train=True)
    train(cfg)
    assert (tmp_path / "best.pt").exists()
    saved = torch.load(tmp_path / "best.pt", weights_only=False)
    assert "50% composites" in ModelCfg.from_json(saved["model_cfg"]).training_data


def test_multiscale_steps_resize_the_batch_consistently():
    cfg = TrainConfig(scales=[160, 192, 224])
    sides = {step_side(cfg, step) for step in range(50)}
    assert sides == {160, 192, 224}
    assert step_side(cfg, 7) == step_side(cfg, 7)
    batch = {
        "image": torch.rand(2, 3, 32, 32),
        "target": torch.zeros(2, 1, 32, 32),
        "valid": torch.ones(2, 1, 32, 32),
    }
    batch["target"][..., 8:24, 8:24] = 1
    batch["valid"][..., :4, :] = 0
    out = rescale_batch(batch, 64)
    assert out["image"].shape == (2, 3, 64, 64) and out["target"].shape == (2, 1, 64, 64)
    assert set(out["valid"].unique().tolist()) == {0.0, 1.0}  # the ignore mask stays binary
    assert out["valid"][..., :8, :].sum() == 0 and out["valid"][..., 8:, :].min() == 1
    assert (out["target"][..., 32, 32] == 1).all() and (out["target"][..., 2, 2] == 0).all()
    with pytest.raises(ValueError, match="multiples of the model's stride"):
        train(TrainConfig(arch_kwargs={"base": 4, "depth": 3}, scales=[30]))


def test_mobile_unet_trains_with_deep_supervision_and_exports(pair_folder, tmp_path):
    model = create_model("mobile-unet", width=0.25, decoder=8).train()
    logits, aux = model(torch.zeros(2, 3, 64, 96))
    assert logits.shape == (2, 1, 64, 96) and [a.shape[-2:] for a in aux] == [(4, 6), (8, 12)]
    assert model.eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 1, 64, 64)  # eval: logits only
    with pytest.raises(ValueError, match="multiples of 32"):
        model(torch.zeros(1, 3, 48, 64))

    arch = {"arch": "mobile-unet", "arch_kwargs": {"width": 0.25, "decoder": 8}}
    cfg = _cfg(pair_folder, tmp_path, steps=40, train_size=64, input_size=64, **arch)
    train(cfg)
    losses = _losses(tmp_path)
    assert np.mean(losses[-5:]) < 0.75 * np.mean(losses[:5])
    trained, model_cfg = load_trained_model(tmp_path / "best.pt")
    onnx_path = tmp_path / "mobile.onnx"
    export_onnx(tmp_path / "best.pt", onnx_path, int8_weights=False)
    wrapped = torch.nn.Sequential(trained, torch.nn.Sigmoid()).eval()
    assert parity(wrapped, onnx_path, model_cfg, seed=1) < 1e-4
