"""Pretrained encoders: the weights load strictly, and what they recognise proves the mapping.

A mis-mapped weight (a wrong layer order, padding or normalisation) still loads without an
error; only a real photo through the original head shows it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from skucut.models import create_model  # noqa: E402
from skucut.models.encoders import (  # noqa: E402
    ENCODERS,
    DeepLabHead,
    EfficientNetLite,
    MobileNetV2Features,
    load_pretrained_state,
    weight_file,
)
from skucut.models.encoders.mobilenet_v2 import VOC_CLASSES  # noqa: E402
from tests.conftest import EXAMPLE  # noqa: E402

DEEPLAB = Path(__file__).resolve().parents[3] / "shared/pretrained"
DEEPLAB_FILE = DEEPLAB / "deeplabv3_mnv2_coco_voc_encoder_head_fp16.pth"
CUP_CLASSES = {967, 968, 504}  # ImageNet: espresso, cup, coffee mug


def _input(rgb: np.ndarray, side: int, mean, std) -> torch.Tensor:
    x = np.asarray(Image.fromarray(rgb).resize((side, side), Image.BICUBIC), np.float32) / 255
    x = (x - np.float32(mean)) / np.float32(std)
    return torch.from_numpy(x).permute(2, 0, 1)[None]


@pytest.mark.parametrize("variant", ["lite0", "lite1", "lite2"])
def test_efficientnet_lite_knows_the_example_cup(variant):
    model = EfficientNetLite(variant, num_classes=1000).eval()
    encoder, head = load_pretrained_state(f"efficientnet-{variant}")
    model.load_state_dict(encoder, strict=True)  # every key, every shape
    assert head == {}
    spec = ENCODERS[f"efficientnet-{variant}"]
    rgb = np.asarray(Image.open(EXAMPLE).convert("RGB"))
    with torch.no_grad():
        top5 = model(_input(rgb, model.native_size, spec.mean, spec.std)).topk(5).indices[0]
    assert int(top5[0]) in CUP_CLASSES, top5.tolist()


@pytest.mark.skipif(not DEEPLAB_FILE.exists(), reason="needs ../shared/pretrained")
def test_deeplab_mobilenetv2_segments_a_person_and_a_cat():
    skimage_data = pytest.importorskip("skimage.data")
    encoder, head = MobileNetV2Features(output_stride=16).eval(), DeepLabHead().eval()
    encoder_state, head_state = load_pretrained_state("mobilenetv2-deeplab", str(DEEPLAB_FILE))
    encoder.load_state_dict(encoder_state, strict=True)
    head.load_state_dict(head_state, strict=True)
    spec = ENCODERS["mobilenetv2-deeplab"]
    for image, expected in ((skimage_data.astronaut(), "person"), (skimage_data.chelsea(), "cat")):
        with torch.no_grad():
            classes = head(encoder.features(_input(image, 321, spec.mean, spec.std))[-1])
        counts = np.bincount(classes.argmax(1).flatten().numpy(), minlength=21)
        counts[0] = 0  # background
        assert VOC_CLASSES[int(counts.argmax())] == expected


def test_missing_weights_are_a_clear_error_never_a_random_init(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="not found"):
        weight_file("efficientnet-lite0", str(tmp_path / "nope.pth"))
    with pytest.raises(ValueError, match="no weight package"):
        weight_file("mobilenetv2-deeplab")
    monkeypatch.setitem(ENCODERS, "efficientnet-lite0", ENCODERS["efficientnet-lite0"].__class__(
        build=ENCODERS["efficientnet-lite0"].build, mean=(0.5,) * 3, std=(0.5,) * 3,
        package="no_such_weight_package"))  # fmt: skip
    with pytest.raises(FileNotFoundError, match="pip install"):
        weight_file("efficientnet-lite0")


@pytest.mark.parametrize("arch", ["fast-unet", "quality-unet"])
def test_encoder_unets_shapes_and_deep_supervision(arch):
    model = create_model(arch, encoder="efficientnet-lite0")
    model.load_pretrained("package")
    stem = model.encoder._conv_stem.weight
    assert torch.equal(stem, load_pretrained_state("efficientnet-lite0")[0]["_conv_stem.weight"])
    logits, aux = model.train()(torch.zeros(2, 3, 64, 96))
    assert logits.shape == (2, 1, 64, 96) and [a.shape[-1] for a in aux] == [6, 12]
    assert model.eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 1, 64, 64)
    with pytest.raises(ValueError, match="multiples of 32"):
        model(torch.zeros(1, 3, 48, 64))


def test_frozen_encoder_batchnorm_keeps_its_statistics():
    model = create_model("fast-unet", encoder="efficientnet-lite0")
    model.freeze_encoder_bn = True
    before = model.encoder._bn0.running_mean.clone()
    decoder_bn = model.fuse[0][0][0][1]  # level 1, separable block, depthwise conv_bn, BN
    model.train()(torch.randn(2, 3, 64, 64))
    assert torch.equal(model.encoder._bn0.running_mean, before)
    assert not torch.equal(decoder_bn.running_mean, torch.zeros_like(decoder_bn.running_mean))


def test_training_records_the_encoders_normalisation(tmp_path, pair_folder):
    from skucut.export import export_onnx
    from skucut.runtime import Segmenter
    from skucut.train.config import TrainConfig
    from skucut.train.loop import train

    cfg = TrainConfig(
        arch="fast-unet",
        arch_kwargs={"encoder": "efficientnet-lite0", "context": 32, "decoder": [16, 16, 8, 8]},
        encoder_weights="package",
        lr=1e-3,
        encoder_lr_scale=0.1,
        freeze_encoder_bn=True,
        train_size=64,
        input_size=64,
        train_dirs=[str(pair_folder)],
        steps=2,
        batch_size=2,
        warmup_steps=1,
        bf16="off",
        out_dir=str(tmp_path / "run"),
    )
    best = train(cfg)
    state = torch.load(best, weights_only=False)
    groups = state["optimizer"]["param_groups"]
    assert [g["initial_lr"] for g in groups] == pytest.approx([1e-4, 1e-3])  # encoder, rest
    export_onnx(best, tmp_path / "m.onnx")
    segmenter = Segmenter(tmp_path / "m.onnx")
    assert segmenter.cfg.mean == pytest.approx((127 / 255,) * 3)
    assert segmenter.cfg.std == pytest.approx((128 / 255,) * 3)
