"""Adversarial training, corruption augmentation and the GAN option, on tiny generated data:
each does what it says, is off by default, and a run with it resumes bit for bit."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from skucut.data.corrupted import CorruptedSamples, denormalize  # noqa: E402
from skucut.data.pairs import normalize  # noqa: E402
from skucut.losses import bce_loss  # noqa: E402
from skucut.models import create_model  # noqa: E402
from skucut.models.discriminator import PatchDiscriminator  # noqa: E402
from skucut.train.adversarial import Adversary, PixelSpace, perturb  # noqa: E402
from skucut.train.config import TrainConfig  # noqa: E402
from skucut.train.gan import MaskGAN  # noqa: E402
from skucut.train.loop import train  # noqa: E402
from tests.conftest import disc_image  # noqa: E402

MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _cfg(pair_folder, out, **kw):
    base = dict(
        arch="unet",
        arch_kwargs={"base": 4, "depth": 2, "max_width": 16},
        train_size=32,
        input_size=32,
        train_dirs=[str(pair_folder)],
        val_dirs=[],
        batch_size=4,
        warmup_steps=2,
        lr=0.01,
        out_dir=str(out),
        log_every=1,
        ckpt_every=1000,
    )
    return TrainConfig(**{**base, **kw})


def _batch(n=4, size=32):
    images, targets = [], []
    for i in range(n):
        rgb, mask = disc_image(size, seed=i)
        images.append(normalize(rgb, MEAN, STD))
        targets.append((mask > 128).astype(np.float32)[None])
    image = torch.from_numpy(np.stack(images))
    target = torch.from_numpy(np.stack(targets))
    return {"image": image, "target": target, "valid": torch.ones_like(target)}


def _tiny_model():
    torch.manual_seed(0)
    return create_model("unet", base=4, depth=2, max_width=16).eval()


@pytest.mark.parametrize("steps", [1, 3])
def test_attack_stays_in_budget_and_raises_the_loss(steps):
    model, batch = _tiny_model(), _batch()
    space = PixelSpace(MEAN, STD)
    eps = 8 / 255
    adv = perturb(model, batch["image"], batch["target"], batch["valid"], eps, steps, space)
    # within eps in pixel intensity (0..1), per channel, and still a possible photo
    change = (adv - batch["image"]) / space.per_unit
    assert change.abs().max() <= eps + 1e-5
    assert change.abs().max() > 0.9 * eps
    assert (adv >= space.low - 1e-5).all() and (adv <= space.high + 1e-5).all()
    with torch.no_grad():
        clean = bce_loss(model(batch["image"]), batch["target"], batch["valid"])
        attacked = bce_loss(model(adv), batch["target"], batch["valid"])
    assert attacked > clean
    assert all(p.grad is None for p in model.parameters())  # only the input got gradients


def test_adversary_replaces_its_share_and_keeps_train_mode():
    model, batch = _tiny_model().train(), _batch()
    adversary = Adversary(0.5, 4 / 255, 1, MEAN, STD, None)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images = adversary(model, batch, lambda: torch.autocast("cpu", enabled=False), step=0)
    changed = [(images[i] != batch["image"][i]).any().item() for i in range(4)]
    assert changed == [True, True, False, False]
    assert model.training
    for key, value in model.state_dict().items():  # BatchNorm statistics untouched
        assert torch.equal(value, before[key]), key
    with pytest.raises(ValueError, match="adv_share"):
        Adversary(1.5, 4 / 255, 1, MEAN, STD, None)


def test_corrupted_samples_are_a_function_of_k_and_respect_share():
    class Plain:
        def __len__(self):
            return 8

        def __getitem__(self, k):
            rgb, mask = disc_image(32, seed=k % 8)
            target = (mask > 128).astype(np.float32)[None]
            return {"image": normalize(rgb, MEAN, STD), "target": target, "valid": target * 0 + 1}

    plain = Plain()
    everything = CorruptedSamples(plain, 1.0, ["noise", "rotate"], MEAN, STD, seed=3)
    for k in range(6):
        a, b = everything[k], everything[k]
        assert all(np.array_equal(a[key], b[key]) for key in a)  # same k, same sample
        assert not np.array_equal(a["image"], plain[k]["image"])
        assert a["image"].shape == (3, 32, 32) and a["valid"].shape == (1, 32, 32)
    # a rotation's corners carry no label
    assert min(everything[k]["valid"].min() for k in range(6)) == 0
    some = CorruptedSamples(plain, 0.3, [], MEAN, STD, seed=3)
    same = [np.array_equal(some[k]["image"], plain[k]["image"]) for k in range(40)]
    assert 0 < sum(same) < 40
    # the round trip through uint8 is exact for an untouched image
    rgb, _ = disc_image(32, seed=1)
    assert np.array_equal(denormalize(normalize(rgb, MEAN, STD), MEAN, STD), rgb)
    with pytest.raises(ValueError, match="unknown corruptions: fog"):
        CorruptedSamples(plain, 0.5, ["fog"], MEAN, STD, seed=0)


def test_discriminator_is_patchwise_and_spectrally_normed():
    disc = PatchDiscriminator(width=8)
    out = disc(torch.zeros(2, 3, 64, 64), torch.zeros(2, 1, 64, 64))
    assert out.shape == (2, 1, 6, 6)
    conv = disc.net[0]
    for _ in range(20):  # power iteration converges in training-mode forwards
        disc(torch.randn(1, 3, 64, 64), torch.rand(1, 1, 64, 64))
    sigma = float(torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2))
    assert sigma == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="Bx1xHxW mask"):
        disc(torch.zeros(1, 3, 64, 64), torch.zeros(1, 1, 32, 32))


def test_gan_warm_up_ramp_and_discriminator_learning():
    cfg = TrainConfig(gan_weight=0.1, gan_start=10, gan_ramp=4, gan_width=8, gan_lr=1e-3)
    gan = MaskGAN(cfg, "cpu")
    assert [gan.weight_at(s) for s in (0, 9, 10, 11, 13, 100)] == pytest.approx(
        [0, 0, 0.025, 0.05, 0.1, 0.1]
    )
    batch = _batch()
    logits = torch.zeros_like(batch["target"], requires_grad=True)  # an unsure segmenter
    parts = {"loss": logits.sum() * 0}
    assert gan(parts, batch, logits, step=5) is parts  # warm-up: no term, no D update
    losses = [float(gan(parts, batch, logits, step=50)["gan_d"]) for _ in range(15)]
    assert losses[-1] < 0.7 * losses[0]  # D learns to tell the grey masks from real ones
    out = gan(parts, batch, logits, step=50)
    d_grads = [p.grad.clone() for p in gan.disc.parameters()]
    out["loss"].backward()
    assert logits.grad.abs().sum() > 0  # the term reaches the segmenter's output...
    for before, p in zip(d_grads, gan.disc.parameters(), strict=True):
        assert torch.equal(before, p.grad)  # ...and leaves the discriminator's alone


def test_the_r1_penalty_does_not_grow_with_the_patch_count():
    """On the sum of the patch verdicts it grew 26x from 64 to 256 px (measured) and flattened D
    at training size (its loss sat at 2 ln 2 for a whole run)."""
    torch.manual_seed(0)
    gan = MaskGAN(TrainConfig(gan_weight=0.1, gan_width=8), "cpu")
    penalties = []
    for size in (64, 256):
        batch = _batch(size=size)
        real = batch["target"].requires_grad_(True)
        penalties.append(float(gan.r1_penalty(gan.disc(batch["image"], real), real).detach()))
    assert penalties[1] < 2 * penalties[0]


def _resumed_equals_straight(pair_folder, tmp_path, **recipe):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    train(_cfg(pair_folder, straight, steps=4, **recipe))
    train(_cfg(pair_folder, resumed, steps=4, **recipe), stop_after=2)
    train(_cfg(pair_folder, resumed, steps=4, **recipe))
    a = torch.load(straight / "last.pt", weights_only=False)
    b = torch.load(resumed / "last.pt", weights_only=False)
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    return a, b


def test_adversarial_and_corrupted_training_resumes_exactly(pair_folder, tmp_path):
    a, _ = _resumed_equals_straight(
        pair_folder, tmp_path, adv_share=0.5, adv_steps=2, corrupt_share=0.5
    )
    assert a["config"]["adv_share"] == 0.5


def test_gan_training_resumes_exactly_with_its_discriminator(pair_folder, tmp_path):
    recipe = dict(gan_weight=0.05, gan_start=1, gan_ramp=2, gan_width=8, gan_r1=0.1)
    a, b = _resumed_equals_straight(pair_folder, tmp_path, **recipe)
    for key, value in a["gan"]["disc"].items():
        assert torch.equal(value, b["gan"]["disc"][key]), key
    moments_a = a["gan"]["optimizer"]["state"]
    moments_b = b["gan"]["optimizer"]["state"]
    assert moments_a and all(
        torch.equal(moments_a[i]["exp_avg"], moments_b[i]["exp_avg"]) for i in moments_a
    )
    rows = [
        json.loads(line) for line in (tmp_path / "straight" / "log.jsonl").read_text().splitlines()
    ]
    assert "gan_g" not in rows[0] and "gan_g" in rows[-1]  # no term before gan_start


def test_options_off_leave_checkpoints_as_before(pair_folder, tmp_path):
    train(_cfg(pair_folder, tmp_path, steps=1))
    state = torch.load(tmp_path / "last.pt", weights_only=False)
    assert "gan" not in state
    # a run written without the GAN cannot be resumed with it: said, not half-loaded
    with pytest.raises(ValueError, match="no gan state"):
        train(_cfg(pair_folder, tmp_path, steps=2, gan_weight=0.1))
