"""Every shipped segmentation model: its file says what its folder says, and it works."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from skucut.catalog import DEFAULT_MODEL, FAST_MODEL, OFFERED_MODELS, list_models
from skucut.pipeline import load_segmenter
from tests.conftest import EXAMPLE

SEGMENTATION = [m.name for m in list_models() if m.task == "segmentation"]
DEV_SETS = ("msra-dev", "pascals-dev", "grabcut-dev")


def test_the_offered_models_are_installed():
    assert {DEFAULT_MODEL, FAST_MODEL} <= set(SEGMENTATION)
    assert {m.name for m in list_models()} == set(OFFERED_MODELS)


@pytest.mark.parametrize("name", SEGMENTATION)
def test_model_file_matches_its_name_and_card(name):
    cfg = load_segmenter(name).cfg
    suffix = "-int8" if cfg.precision == "int8" else ""
    assert f"{cfg.name}-v{cfg.version}{suffix}" == name  # a name keeps meaning one artifact
    folder = next(m.path.parent for m in list_models() if m.name == name)
    card = json.loads((folder / "card.json").read_text())
    for dev_set in DEV_SETS:
        assert 0.5 < card["metrics"][dev_set]["iou"] <= 1.0
    assert (folder / "MODEL_CARD.md").read_text().startswith(f"# {name}\n")


@pytest.mark.parametrize("name", SEGMENTATION)
def test_model_finds_the_cup(name):
    rgb = np.asarray(Image.open(EXAMPLE).convert("RGB"))
    prob = load_segmenter(name).predict(rgb)
    assert prob.shape == rgb.shape[:2]
    assert prob[120:200, 230:360].mean() > 0.8  # inside the cup
    assert prob[:30, :30].mean() < 0.25 and prob[-30:, -30:].mean() < 0.25  # table corners
