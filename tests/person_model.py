"""Tiny two-output (subject + person) models and photos built to test product-only mode.

``colour_rules_model`` is an ONNX graph of one 1x1 convolution and a sigmoid whose weights are
written by hand: subject = "darker than the white backdrop", person = "skin-coloured" (red well
above blue). It needs no training, so what it says about a generated photo is known exactly,
and it runs through the real runtime (onnxruntime, ModelCfg metadata) like a shipped model.
``hand_photo`` is such a photo: a blue product held by a skin-coloured hand whose fingers
cover part of it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

WHITE = (250, 250, 250)
BLUE = (40, 60, 160)
SKIN = (224, 172, 140)


def colour_rules_model(path: Path, outputs: tuple[str, ...] = ("subject", "person")) -> Path:
    """Write the hand-weighted model to ``path`` (input: RGB in 0..1, no normalisation)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from skucut.modelcfg import METADATA_KEY, ModelCfg, set_metadata

    k = 30.0
    weights = [[-k / 3, -k / 3, -k / 3], [k, 0.0, -k]][: len(outputs)]
    biases = [k * 0.85, -k * 0.15][: len(outputs)]
    w = numpy_helper.from_array(np.array(weights, np.float32).reshape(len(outputs), 3, 1, 1), "w")
    b = numpy_helper.from_array(np.array(biases, np.float32), "b")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["image", "w", "b"], ["logits"]),
            helper.make_node("Sigmoid", ["logits"], ["alpha"]),
        ],
        "colour-rules",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, None, None])],
        [helper.make_tensor_value_info("alpha", TensorProto.FLOAT, [1, len(outputs), None, None])],
        [w, b],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    cfg = ModelCfg(
        name="colour-rules",
        arch="colour-rules",
        input_size=128,
        stride=16,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        outputs=outputs,
    )
    set_metadata(proto, METADATA_KEY, cfg.to_json())
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))
    return path


def hand_photo(size: int = 256) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(RGB, product mask, hand mask): a blue bottle on white, held from below by a hand whose
    four fingers wrap over its lower half (the masks are what the photo shows: where a finger
    covers the bottle, the pixel is hand)."""
    s = size / 256
    rgb = np.full((size, size, 3), WHITE, np.uint8)
    bottle = np.zeros((size, size), np.uint8)
    cv2.rectangle(bottle, (int(100 * s), int(40 * s)), (int(156 * s), int(200 * s)), 1, -1)
    cv2.rectangle(bottle, (int(116 * s), int(20 * s)), (int(140 * s), int(40 * s)), 1, -1)
    hand = np.zeros((size, size), np.uint8)
    cv2.ellipse(hand, (int(128 * s), int(225 * s)), (int(60 * s), int(28 * s)), 0, 0, 360, 1, -1)
    for i in range(4):  # fingers across the bottle, with gaps that show the bottle between
        y = int((130 + 17 * i) * s)
        cv2.rectangle(hand, (int(88 * s), y), (int(168 * s), y + int(10 * s)), 1, -1)
    product = (bottle > 0) & (hand == 0)
    rgb[bottle > 0] = BLUE
    rgb[hand > 0] = SKIN
    return rgb, product, hand > 0
