"""Issue 27: the person map in the runtime, product-only cutouts, reasons a person can act on,
and explain pictures."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

import skucut
from skucut.errors import InvalidModel
from skucut.explain import HEAT, draw_explain, uncertainty
from skucut.pipeline import RemoveOptions, load_segmenter, prepare
from skucut.review import review_cutout
from tests.person_model import BLUE, SKIN, WHITE, colour_rules_model, hand_photo


@pytest.fixture(scope="module")
def person_model(tmp_path_factory):
    pytest.importorskip("onnx")
    return colour_rules_model(tmp_path_factory.mktemp("person") / "colour-rules.onnx")


def _cut(rgb: np.ndarray, model, **options) -> np.ndarray:
    out, review = skucut.remove(rgb, model=str(model), mask=True, return_info=True, **options)
    return np.asarray(out), review


# ---- runtime ----------------------------------------------------------------------------


def test_the_segmenter_gives_every_map_by_name_from_one_pass(person_model, tiny_model):
    rgb, product, hand = hand_photo()
    segmenter = load_segmenter(str(person_model))
    assert segmenter.outputs == ("subject", "person") and segmenter.has_person
    maps = segmenter.maps(rgb)
    assert set(maps) == {"subject", "person"}
    np.testing.assert_array_equal(maps["subject"], segmenter.probability(rgb))
    person = cv2.resize(maps["person"], rgb.shape[1::-1])
    assert person[hand].mean() > 0.9 and person[product].mean() < 0.1
    one = load_segmenter(str(tiny_model))
    assert not one.has_person and set(one.maps(rgb)) == {"subject"}


@pytest.mark.slow
def test_an_encoder_unet_with_a_person_head_exports_and_serves_both_maps(tmp_path):
    torch = pytest.importorskip("torch")
    from skucut.export import export_onnx
    from skucut.modelcfg import ModelCfg
    from skucut.models import create_model
    from skucut.train.checkpoint import save_checkpoint

    kwargs = {"encoder": "efficientnet-lite0", "person": True}
    model = create_model("fast-unet", **kwargs).eval()
    assert model.outputs == ("subject", "person")
    cfg = ModelCfg(name="tiny-person", arch="fast-unet", arch_kwargs=kwargs, input_size=64,
                   stride=32, outputs=model.outputs)  # fmt: skip
    save_checkpoint(tmp_path / "m.pt", model=model.state_dict(), model_cfg=cfg.to_json())
    export_onnx(tmp_path / "m.pt", tmp_path / "m.onnx", int8_weights=False)  # parity-checked
    rgb, _, _ = hand_photo(96)
    segmenter = load_segmenter(str(tmp_path / "m.onnx"))
    maps = segmenter.maps(rgb)
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.from_numpy(segmenter.preprocess(rgb))))[0].numpy()
    np.testing.assert_allclose(maps["subject"], expected[0], atol=1e-4)
    np.testing.assert_allclose(maps["person"], expected[1], atol=1e-4)
    out, review = _cut(rgb, tmp_path / "m.onnx", product_only=True)  # the whole real path
    assert out.shape == rgb.shape[:2] and out.dtype == np.uint8 and 0 <= review.confidence <= 1


# ---- product-only -----------------------------------------------------------------------


def test_product_only_removes_the_hand_and_keeps_the_product(person_model):
    rgb, product, hand = hand_photo()
    alpha, review = _cut(rgb, person_model, product_only=True)
    kept = alpha > 127
    assert kept[hand].mean() < 0.01  # palm and fingers gone, also where they cover the bottle
    assert kept[product].mean() > 0.97  # the bottle keeps its pixels, between the fingers too
    assert not any(r.startswith("person") for r in review.reasons)
    whole, review = _cut(rgb, person_model)  # the default keeps the hand, and says so
    assert (whole > 127)[hand].mean() > 0.97
    assert any(r.startswith("person in the cutout (") for r in review.reasons)
    assert review.needs_review is False or "person" in review.reason


def test_a_worn_garment_keeps_its_pixels_and_the_neck_opening_goes(person_model):
    rgb = np.full((240, 240, 3), WHITE, np.uint8)
    top = np.zeros((240, 240), np.uint8)
    cv2.rectangle(top, (50, 60), (190, 220), 1, -1)
    neck = np.zeros_like(top)
    cv2.ellipse(neck, (120, 60), (30, 25), 0, 0, 360, 1, -1)  # skin in the neckline
    cv2.circle(neck, (120, 25), 22, 1, -1)  # the chin and face above it
    rgb[top > 0] = BLUE
    rgb[neck > 0] = SKIN
    alpha, _ = _cut(rgb, person_model, product_only=True)
    garment = (top > 0) & (neck == 0)
    assert (alpha > 127)[garment].mean() > 0.97 and (alpha > 127)[neck > 0].mean() < 0.02


def test_product_only_on_a_model_without_a_person_map_is_one_clear_error(tiny_model):
    options = RemoveOptions(model=str(tiny_model), product_only=True)
    with pytest.raises(InvalidModel, match="this model has no person map; use skucut-quality-v2"):
        prepare(options)
    with pytest.raises(InvalidModel, match="no person map"):
        skucut.remove(hand_photo(64)[0], model=str(tiny_model), product_only=True)


def test_amazon_main_is_product_only_on_white():
    options = RemoveOptions.build("amazon-main")
    assert options.product_only and options.bg_color == (255, 255, 255)
    assert options.canvas == (2000, 2000) and options.fill == 0.85
    assert RemoveOptions.build("amazon-main", product_only="false").product_only is False


# ---- reasons ----------------------------------------------------------------------------

SIZE = 160


def _scene(colour=(200, 40, 40), backdrop=WHITE):
    """A crisp disc product in the middle of a plain photo: (prob, rgb)."""
    prob = np.zeros((SIZE, SIZE), np.float32)
    cv2.circle(prob, (80, 80), 40, 1.0, -1)
    rgb = np.empty((SIZE, SIZE, 3), np.uint8)
    rgb[:] = backdrop
    rgb[prob > 0.5] = colour
    return prob, rgb


def _review(prob, rgb, person=None, **kw):
    return review_cutout(prob, (prob > 0.5).astype(np.float32), person, rgb, **kw)


def test_a_clean_cutout_has_no_reason_and_needs_no_review():
    prob, rgb = _scene()
    review = _review(prob, rgb, np.zeros_like(prob))
    assert review.reasons == () and not review.needs_review and review.confidence > 0.8


def test_a_person_in_the_cutout_is_named_with_its_share():
    prob, rgb = _scene()
    person = np.zeros_like(prob)
    person[40:80, :] = 1.0  # the upper half of the disc
    (said,) = _review(prob, rgb, person).reasons
    assert said.startswith("person in the cutout (") and said.endswith("% of it)")
    assert 45 <= int(said.split("(")[1].split("%")[0]) <= 52
    flagged = _review(prob, rgb, person, product_only=True)
    assert flagged.needs_review and "left in the product-only cutout" in flagged.reason


def test_an_unsure_region_is_named_where_it_is():
    prob, rgb = _scene()
    cv2.circle(prob, (40, 40), 22, 0.5, -1)  # a hazy lobe at the top left
    said = _review(prob, rgb).reasons
    assert "unsure region at the top left" in said


def test_several_parts_a_touched_edge_a_tiny_product_and_low_contrast():
    prob, rgb = _scene()
    cv2.circle(prob, (20, 140), 8, 1.0, -1)
    cv2.circle(prob, (140, 20), 8, 1.0, -1)
    rgb[prob > 0.5] = (200, 40, 40)
    assert "3 separate parts" in _review(prob, rgb).reasons

    prob, rgb = _scene()
    prob[100:, 70:90] = 1.0  # a strap that runs off the bottom of the photo
    rgb[prob > 0.5] = (200, 40, 40)
    assert "product touches the photo edge (bottom)" in _review(prob, rgb).reasons

    tiny = np.zeros((SIZE, SIZE), np.float32)
    tiny[80:83, 80:83] = 1.0
    review = _review(tiny, _scene()[1])
    assert any(r.startswith("tiny product (") for r in review.reasons) and review.needs_review

    prob, rgb = _scene(colour=(240, 240, 236))  # an off-white product on white
    assert "low contrast with the backdrop" in _review(prob, rgb).reasons


# ---- explain ----------------------------------------------------------------------------


def test_the_explain_picture_puts_the_heat_where_the_model_is_unsure(person_model):
    prob, rgb = _scene(colour=(60, 60, 200))
    cv2.circle(prob, (120, 120), 20, 0.5, -1)  # unsure only at the bottom right
    review = _review(prob, rgb, np.zeros_like(prob))
    picture = draw_explain(rgb, review)
    side = 360  # explain.PANEL: the photo is square
    panel = picture[:side, :side].astype(np.float32)
    heat = cv2.resize(uncertainty(prob), (side, side)) > 0.6
    redness = panel[..., 0] - (panel[..., 1] + panel[..., 2]) / 2
    assert redness[heat].mean() > 60 and redness[~heat].mean() < 10
    lobe = np.zeros((side, side), bool)
    lobe[int(0.65 * side) : int(0.85 * side), int(0.65 * side) : int(0.85 * side)] = True
    assert redness[lobe & heat].size and redness[: side // 2, : side // 2].mean() < 10
    assert (np.abs(panel - HEAT).sum(axis=2) < 120).sum() > 0  # the heat colour is there


def test_the_explain_picture_shows_the_person_map_and_each_part_decision(person_model):
    rgb, _, _ = hand_photo()
    _, review = _cut(rgb, person_model, product_only=True)
    assert review.evidence is not None and review.evidence.person is not None
    picture = draw_explain(rgb, review)
    person_panel = picture[:360, 366:726].astype(int)  # the second panel, after a 6 px gap
    magenta = (
        (person_panel[..., 0] > 180) & (person_panel[..., 1] < 120) & (person_panel[..., 2] > 150)
    )
    assert magenta.mean() > 0.05  # the hand, in the middle panel
    assert {p.kept for p in review.evidence.parts} == {True}
    data = io.BytesIO()
    Image.fromarray(picture).save(data, "PNG")
    assert data.tell() > 1000


@pytest.mark.slow
def test_grad_cam_of_a_tiny_model_and_the_explain_command(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from skucut.cam import grad_cam, load_torch_model
    from skucut.cli import main
    from skucut.modelcfg import ModelCfg
    from skucut.models import create_model
    from skucut.train.checkpoint import save_checkpoint

    torch.manual_seed(0)
    kwargs = {"encoder": "efficientnet-lite0"}
    cfg = ModelCfg(name="tiny", arch="fast-unet", arch_kwargs=kwargs, input_size=64, stride=32)
    save_checkpoint(
        tmp_path / "w.pt",
        model=create_model("fast-unet", **kwargs).state_dict(),
        model_cfg=cfg.to_json(),
    )
    model, loaded = load_torch_model(tmp_path / "w.pt")
    rgb, _, _ = hand_photo(96)
    cam, prob = grad_cam(model, loaded, rgb)
    assert cam.shape == prob.shape == (64, 64) and cam.min() >= 0 and cam.max() <= 1
    Image.fromarray(rgb).save(tmp_path / "hand.png")
    args = ["explain", str(tmp_path / "hand.png"), "-o", str(tmp_path / "cam"), "--cam"]
    assert main([*args, "--weights", str(tmp_path / "w.pt")]) == 0
    assert Image.open(tmp_path / "cam" / "hand.png").size == (2 * 360 + 6, 360)
    assert main([*args, "--weights", str(tmp_path / "missing.pt")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
