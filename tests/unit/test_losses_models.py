import pytest

torch = pytest.importorskip("torch")

from skucut.losses import LOSSES, BCELoss, bce_loss, iou_loss  # noqa: E402
from skucut.models import create_model, list_models  # noqa: E402


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_ignore_pixels_do_not_count(name):
    target = torch.zeros(1, 1, 8, 8)
    target[..., :4] = 1
    logits = (target * 2 - 1) * 8  # confident and right
    valid = torch.ones_like(target)
    logits_bad = logits.clone()
    logits_bad[..., 0, 0] = -50  # confidently wrong ... but only where we ignore
    valid[..., 0, 0] = 0
    fn = LOSSES[name]
    assert fn(logits_bad, target, valid) == pytest.approx(
        float(fn(logits, target, valid)), abs=1e-6
    )
    assert fn(logits_bad, target) > fn(logits, target)


def test_losses_are_small_when_right_and_large_when_wrong():
    target = torch.zeros(2, 1, 8, 8)
    target[:, :, 2:6, 2:6] = 1
    right, wrong = (target * 2 - 1) * 10, (1 - target * 2) * 10
    assert bce_loss(right, target) < 1e-3 < 5 < bce_loss(wrong, target)
    assert iou_loss(right, target) < 0.05 and iou_loss(wrong, target) > 0.9
    assert BCELoss()(right, target) == bce_loss(right, target)


def test_shape_errors_name_the_layout():
    with pytest.raises(ValueError, match="expected logits Bx1xHxW"):
        bce_loss(torch.zeros(2, 8, 8), torch.zeros(2, 8, 8))


def test_unet_shapes_and_registry():
    model = create_model("unet", base=4, depth=3)
    out = model(torch.zeros(2, 3, 64, 48))
    assert out.shape == (2, 1, 64, 48)
    with pytest.raises(ValueError, match="multiples of 8"):
        model(torch.zeros(1, 3, 60, 64))
    assert "unet" in list_models()
    with pytest.raises(KeyError, match=r"valid names: .*unet"):
        create_model("no-such-net")


def test_boundary_losses_charge_edge_mistakes_more_than_interior_ones():
    target = torch.zeros(1, 1, 32, 32)
    target[..., 8:24, 8:24] = 1
    right = (target * 2 - 1) * 10
    edge_wrong, interior_wrong = right.clone(), right.clone()
    edge_wrong[..., 8, 12:20] = -10  # a row of pixels on the object's top edge
    interior_wrong[..., 16, 12:20] = -10  # the same number in its middle
    for name in ("boundary_bce", "boundary_iou"):
        fn = LOSSES[name]
        assert fn(right, target) < 0.01
        assert fn(edge_wrong, target) > 1.5 * fn(interior_wrong, target), name
    # the plain losses cannot tell the two apart
    assert bce_loss(edge_wrong, target) == pytest.approx(float(bce_loss(interior_wrong, target)))
