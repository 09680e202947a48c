"""The person output: labels from parts maps and hands, a second model channel, its loss,
growing it on one-output weights, and its export."""

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from skucut.data.composite import CompositeCfg, CompositePairs, Foreground  # noqa: E402
from skucut.data.pairs import load_pairs  # noqa: E402
from skucut.models import create_model  # noqa: E402
from skucut.train.config import TrainConfig  # noqa: E402
from skucut.train.loop import load_init_weights, train, training_pairs  # noqa: E402
from skucut.train.task import segmentation_step  # noqa: E402

TINY = {"encoder": "efficientnet-lite0", "context": 16, "decoder": [8, 8, 8, 8], "edge": 4}


def _person_folder(root, n=4, size=64):
    """Photos of a 'person': a skin-toned head (parts 1), hair (2) and a shirt (3) below."""
    for sub in ("images", "masks", "parts"):
        (root / sub).mkdir(parents=True)
    for i in range(n):
        parts = np.zeros((size, size), np.uint8)
        parts[8:16, 24:40] = 2  # hair
        parts[16:28, 24:40] = 1  # face
        parts[28:60, 16:48] = 3  # shirt
        mask = np.where(parts > 0, 255, 0).astype(np.uint8)
        rgb = np.full((size, size, 3), 240, np.uint8)
        rgb[parts == 1], rgb[parts == 2], rgb[parts == 3] = (
            (224, 172, 140),
            (40, 30, 20),
            (30, 60, 200),
        )
        Image.fromarray(rgb).save(root / "images" / f"{i}.jpg", quality=95)
        Image.fromarray(mask).save(root / "masks" / f"{i}.png")
        Image.fromarray(parts).save(root / "parts" / f"{i}.png")
    return root


def test_parts_give_the_person_label_and_the_whole_person_stays_subject(tmp_path):
    pair = load_pairs([_person_folder(tmp_path / "ccp", n=1)])[0]
    assert pair.mask[20, 30] == 255 and pair.mask[40, 30] == 255  # face and shirt: subject
    assert pair.person[20, 30] == 255 and pair.person[10, 30] == 255  # face, hair: person
    assert pair.person[40, 30] == 0 and pair.person[2, 2] == 0  # shirt, backdrop: not


def test_photos_listed_as_no_person_teach_no_person_and_the_others_stay_unknown(tmp_path):
    objects = tmp_path / "objects"
    for sub in ("images", "masks"):
        (objects / sub).mkdir(parents=True)
    mask = np.zeros((32, 32), np.uint8)
    mask[8:24, 8:24], mask[7, 8:24] = 255, 128  # a subject with an unsure rim
    for name in ("cherries", "rider"):
        Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(objects / f"images/{name}.jpg")
        Image.fromarray(mask).save(objects / f"masks/{name}.png")
    listed = tmp_path / "no-person.txt"
    listed.write_text("# looked at by eye\nobjects/cherries\n\nother/rider  # another set\n")
    cfg = TrainConfig(train_dirs=[str(objects)], no_person=str(listed), max_side=64)
    pairs = {pair.name: pair for pair in training_pairs(cfg)}
    cherries = pairs["cherries"].person
    assert cherries[16, 16] == 0 and cherries[2, 2] == 0  # subject and backdrop: no person
    assert cherries[7, 16] == 128  # where the mask is unsure, so is the person
    assert pairs["rider"].person is None  # listed under another set: still unknown


def test_a_composite_hand_is_subject_and_person_and_products_are_no_person():
    rgb = np.full((40, 40, 3), 200, np.uint8)
    alpha = np.full((40, 40), 255, np.uint8)
    label = np.full((40, 40), 255, np.uint8)
    product = Foreground(rgb, alpha, label, np.zeros((40, 40), np.uint8))
    plain = CompositePairs([product], [], 96, 0, CompositeCfg(p_letterbox=0))
    _, label, person = plain.sample(0)
    assert (label == 255).any() and not (person == 255).any()
    held = CompositePairs([product], [], 96, 0, CompositeCfg(p_hand=1.0, p_letterbox=0))
    for k in range(4):
        _, label, person = held.sample(k)
        hand = person == 255
        assert hand.sum() > 20  # a hand was drawn and labelled person ...
        assert (label[hand] == 255).all()  # ... and it is part of the subject
        assert (person[label == 0] == 0).all()  # the backdrop is never person


def test_the_person_channel_is_trained_only_where_it_is_known():
    model = create_model("quality-unet", **TINY, person=True).train()
    assert model.outputs == ("subject", "person")
    image = torch.randn(2, 3, 64, 64)
    batch = {
        "image": image,
        "target": torch.ones(2, 1, 64, 64),
        "valid": torch.ones(2, 1, 64, 64),
        "person": torch.ones(2, 1, 64, 64),
        "person_valid": torch.zeros(2, 1, 64, 64),
    }
    parts, logits = segmentation_step(model, batch, {"bce": 1.0})
    assert logits.shape == (2, 1, 64, 64) and float(parts["person"]) == 0.0  # nothing known
    batch["person_valid"] = torch.ones(2, 1, 64, 64)
    parts, _ = segmentation_step(model, batch, {"bce": 1.0})
    assert float(parts["person"]) > 0.1
    assert model.eval()(image).shape == (2, 2, 64, 64)


def test_one_output_weights_grow_a_person_head_and_nothing_else_may_be_missing():
    trained = create_model("quality-unet", **TINY).state_dict()
    grown = create_model("quality-unet", **TINY, person=True)
    load_init_weights(grown, trained)
    assert torch.equal(grown.state_dict()["coarse_head.weight"], trained["coarse_head.weight"])
    other = create_model("quality-unet", **{**TINY, "edge": 8}, person=True)
    with pytest.raises(ValueError, match="do not fit"):
        load_init_weights(other, trained)


def test_a_person_model_trains_on_a_holdout_and_exports_both_maps(tmp_path):
    from skucut.export import export_onnx
    from skucut.runtime import Segmenter

    folder = _person_folder(tmp_path / "ccp", n=6)
    cfg = TrainConfig(
        model_name="tiny-person",
        arch="quality-unet",
        arch_kwargs={**TINY, "person": True},
        train_size=64,
        input_size=64,
        train_dirs=[str(folder)],
        holdout={str(folder): 2},
        val_dirs=[str(folder)],
        batch_size=2,
        steps=2,
        val_every=2,
        out_dir=str(tmp_path / "run"),
    )
    best = train(cfg)
    val = [
        line for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines() if "val" in line
    ]
    assert "ccp-holdout/person_iou" in val[-1] and "ccp/person_iou" in val[-1]
    model_cfg = export_onnx(best, tmp_path / "m.onnx", int8_weights=False)
    assert model_cfg.outputs == ("subject", "person")
    segmenter = Segmenter(tmp_path / "m.onnx")
    assert segmenter.cfg.outputs == ("subject", "person")
    assert segmenter.probability(np.zeros((50, 70, 3), np.uint8)).shape == (64, 64)
