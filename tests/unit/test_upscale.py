"""Super-resolution: the network, its training and export, tiling, cutouts and the commands."""

import numpy as np
import pytest
from PIL import Image

from skucut.cli import main
from skucut.pipeline import RemoveOptions, upscale_factor
from skucut.upscale import Upscaler, fill_transparent
from tests.conftest import EXAMPLE, disc_image

torch = pytest.importorskip("torch")

from torch.nn import functional as F  # noqa: E402

from skucut.models import create_model  # noqa: E402
from skucut.train.sr import SRTrainConfig, export_sr, load_sr_model, train_sr  # noqa: E402


@pytest.fixture(scope="module")
def sr_models(tmp_path_factory, pair_folder):
    """A tiny x2 model trained a few steps and exported where the catalog finds it."""
    root = tmp_path_factory.mktemp("sr")
    cfg = SRTrainConfig(
        arch_kwargs={"channels": 8, "blocks": 1},
        image_dirs=[str(pair_folder)],
        val_dirs=[str(pair_folder / "images")],
        patch=32,
        steps=8,
        batch_size=4,
        warmup_steps=2,
        out_dir=str(root / "run"),
        val_every=4,
    )
    best = train_sr(cfg)
    models = root / "models"
    export_sr(best, models / "skucut-sr-x2-v1" / "model.onnx")
    return models


@pytest.fixture()
def sr_env(sr_models, monkeypatch):
    monkeypatch.setenv("SKUCUT_MODELS_DIR", str(sr_models))
    return sr_models / "skucut-sr-x2-v1" / "model.onnx"


def test_untrained_network_is_exactly_bicubic():
    model = create_model("srnet", scale=4, channels=8, blocks=2).eval()
    y = torch.rand(1, 1, 20, 30)
    expected = F.interpolate(y, scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(model(y), expected)
    with pytest.raises(ValueError, match="scale must be"):
        create_model("srnet", scale=5)


def test_onnx_runtime_matches_torch(sr_env, sr_models):
    model, cfg = load_sr_model(sr_models.parent / "run" / "best.pt")
    assert cfg.scale == 2 and cfg.output == "residual"
    plane = np.random.default_rng(1).random((45, 61), dtype=np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(plane)[None, None])[0, 0].clamp(0, 1).numpy()
    assert np.abs(Upscaler(sr_env).upscale_plane(plane) - expected).max() < 1e-4


def test_tiles_leave_no_seam(sr_env):
    upscaler = Upscaler(sr_env)
    rng = np.random.default_rng(0)
    plane = cv_smooth(rng.random((150, 190)).astype(np.float32))
    whole = upscaler.upscale_plane(plane, tile=1000)
    tiled = upscaler.upscale_plane(plane, tile=40)  # many tile borders
    assert whole.shape == (300, 380)
    assert np.abs(whole - tiled).max() < 1e-4


def cv_smooth(x):
    import cv2

    return cv2.GaussianBlur(x, (0, 0), 2)


def test_cutout_edges_keep_the_product_colour(sr_env):
    # A red disc whose transparent surroundings are black: a naive upscale drags black in.
    _, mask = disc_image(64, seed=1)
    alpha = mask.copy()
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[alpha > 0] = (220, 30, 30)
    big_rgb, big_alpha = Upscaler(sr_env).upscale_cutout(rgb, alpha)
    assert big_rgb.shape == (128, 128, 3) and big_alpha.shape == (128, 128)
    edge = (big_alpha > 12) & (big_alpha < 243)
    assert edge.sum() > 20
    assert big_rgb[edge][:, 0].min() > 190  # no dark halo in the semi-transparent edge
    assert big_rgb[edge][:, 1].max() < 60
    # the alpha edge sits where the colour edge is: the upscaled disc has the same area
    assert abs((big_alpha > 127).mean() - (alpha > 127).mean()) < 0.01


def test_fill_transparent_grows_colours_outward():
    rgb = np.zeros((40, 40, 3), np.uint8)
    alpha = np.zeros((40, 40), np.uint8)
    rgb[10:20, 10:20], alpha[10:20, 10:20] = (0, 200, 0), 255
    filled = fill_transparent(rgb, alpha)
    assert (filled[..., 1] > 150).all() and (filled[10:20, 10:20] == rgb[10:20, 10:20]).all()


def test_upscale_command_on_photo_and_cutout(sr_env, tmp_path):
    rgba = np.zeros((50, 70, 4), np.uint8)
    rgba[10:40, 20:50] = (10, 120, 240, 255)
    Image.fromarray(rgba).save(tmp_path / "cut.png")
    args = ["upscale", str(EXAMPLE), str(tmp_path / "cut.png"), "-o", str(tmp_path / "out")]
    assert main(args) == 0
    photo = Image.open(tmp_path / "out" / "coffee.png")
    assert photo.size == tuple(2 * v for v in Image.open(EXAMPLE).size) and photo.mode == "RGB"
    cut = Image.open(tmp_path / "out" / "cut.png")
    assert cut.size == (140, 100) and cut.mode == "RGBA"
    assert np.asarray(cut)[50, 70, 3] == 255 and np.asarray(cut)[5, 5, 3] == 0
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    assert main(["upscale", str(tmp_path / "bad.jpg"), "-o", str(tmp_path / "o2")]) == 1
    assert not (tmp_path / "o2").exists() or not list((tmp_path / "o2").iterdir())


def test_remove_upscales_the_cutout(sr_env, tmp_path):
    out = tmp_path / "o.png"
    assert main(["remove", str(EXAMPLE), "-o", str(out), "--upscale", "2"]) == 0
    assert Image.open(out).size == tuple(2 * v for v in Image.open(EXAMPLE).size)
    # a mask keeps the input's resolution: asking it to upscale is refused, not ignored
    mask = tmp_path / "m.png"
    assert main(["remove", str(EXAMPLE), "-o", str(mask), "--mask", "--upscale", "2"]) == 2
    assert not mask.exists()


def test_auto_upscale_only_when_the_canvas_enlarges_the_product():
    alpha = np.zeros((400, 400), np.uint8)
    alpha[100:300, 150:250] = 255  # a 100x200 product
    canvas = RemoveOptions(upscale="auto", canvas="2000x2000", fill=0.85)
    assert upscale_factor(alpha, canvas) == 4  # 0.85 * 2000 / 200 = 8.5x
    assert upscale_factor(alpha, RemoveOptions(upscale="auto", canvas="600x600")) == 2  # 2.55x
    assert upscale_factor(alpha, RemoveOptions(upscale="auto", canvas="300x300")) == 1
    assert upscale_factor(alpha, RemoveOptions(upscale="auto")) == 1  # no canvas
    assert upscale_factor(alpha, RemoveOptions(upscale="2")) == 2
    with pytest.raises(ValueError, match="unknown upscale"):
        RemoveOptions(upscale="3")


def test_auto_upscale_enlarges_only_the_product_and_never_fails(sr_env):
    from skucut.pipeline import _upscale

    rgb = np.zeros((300, 300, 3), np.uint8)
    alpha = np.zeros((300, 300), np.uint8)
    rgb[100:140, 120:150], alpha[100:140, 120:150] = (200, 40, 40), 255  # a 30x40 product
    options = RemoveOptions(upscale="auto", canvas="400x400")
    big_rgb, big_alpha = _upscale(rgb, alpha, 4, options)
    assert big_alpha.shape == (4 * 48, 4 * 38)  # the product and 4 px around it, x4
    assert big_rgb.shape[:2] == big_alpha.shape
    # a pixel budget smaller than the enlarged product: auto leaves the size, no error
    tight = RemoveOptions(upscale="auto", canvas="100x100", max_pixels=20_000)
    assert _upscale(rgb, alpha, 4, tight)[1].shape == (48, 38)
    with pytest.raises(Exception, match="exceeds"):
        _upscale(rgb, alpha, 4, RemoveOptions(upscale="4", max_pixels=20_000))
