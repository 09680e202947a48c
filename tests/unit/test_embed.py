"""Product embeddings: the exported model matches torch and carries its EmbedCfg, views put the
product on grey, the index round-trips, `skucut embed` / `similar` find the same product."""

import json

import numpy as np
import pytest
from PIL import Image

from skucut.embed import nearest, photo_view, read_index, recall_at_k, write_index
from skucut.embed.views import GREY, view_for
from skucut.io import decode_image
from tests.conftest import EXAMPLE, disc_image


@pytest.fixture(scope="module")
def embedder_dir(tmp_path_factory):
    """skucut-embed-lite0 exported once from the installed weight package."""
    pytest.importorskip("torch")
    from skucut.export.embedder import export_embedder

    out = tmp_path_factory.mktemp("models") / "skucut-embed-lite0"
    export_embedder(out)
    return out


@pytest.fixture
def embedder(embedder_dir):
    from skucut.embed import Embedder

    return Embedder(embedder_dir / "model.onnx")


def _cosine(embedder, rgb):
    return embedder.embed(photo_view(rgb, embedder.cfg.input_size))


def test_export_writes_a_model_that_knows_its_input(embedder_dir, embedder):
    card = json.loads((embedder_dir / "card.json").read_text())
    assert card["task"] == "embedding" and card["encoder"] == "efficientnet-lite0"
    assert (embedder.cfg.input_size, embedder.cfg.dim) == (224, 1280)
    assert embedder.cfg.mean == pytest.approx((127 / 255,) * 3)
    cup = np.asarray(Image.open(EXAMPLE).convert("RGB"))
    vector = _cosine(embedder, cup)
    assert vector.shape == (1280,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    # the same cup smaller, flipped and darker is nearer to it than a yellow disc is
    other_shot = np.clip(cup[:, ::-1] * 0.8, 0, 255).astype(np.uint8)[::2, ::2]
    disc, _ = disc_image(128, seed=1)
    assert vector @ _cosine(embedder, other_shot) > vector @ _cosine(embedder, disc) + 0.1


def test_name_resolves_only_to_an_embedding_model(embedder_dir, monkeypatch):
    from skucut.embed import load_embedder
    from skucut.errors import ModelNotFound

    monkeypatch.setenv("SKUCUT_MODELS_DIR", str(embedder_dir.parent))
    assert load_embedder().path == (embedder_dir / "model.onnx").resolve()
    with pytest.raises(ModelNotFound, match="is a segmentation model"):
        load_embedder("skucut-fast-v1")


def test_views_are_grey_squares():
    wide = np.full((100, 200, 3), 250, np.uint8)
    view = photo_view(wide, 64)
    assert view.shape == (64, 64, 3)
    assert tuple(view[2, 32]) == GREY and tuple(view[32, 32]) == (250, 250, 250)  # letterboxed
    cup = decode_image(EXAMPLE.read_bytes())
    cut, found = view_for(cup, 96)
    assert found and cut.shape == (96, 96, 3)
    corners = cut[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (np.abs(corners.astype(int) - 128) <= 2).all()  # the backdrop is gone
    assert not np.array_equal(cut, view_for(cup, 96, cutout=False)[0])


@pytest.mark.parametrize("suffix", [".npy", ".parquet"])
def test_index_round_trip(tmp_path, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    vectors = np.eye(3, 4, dtype=np.float32)
    meta = {"embedder": "e.onnx", "cutout": True, "model": None, "refine": "guided"}
    written = write_index(tmp_path / f"v{suffix}", ["a.jpg", "b.jpg", "c.jpg"], vectors, meta)
    assert all(p.is_file() for p in written)
    names, back, meta_back = read_index(tmp_path / "v")  # the suffix may be left out
    assert names == ["a.jpg", "b.jpg", "c.jpg"] and meta_back == meta
    assert np.array_equal(back, vectors)
    with pytest.raises(FileNotFoundError):
        read_index(tmp_path / "missing")


def test_nearest_and_recall():
    v = np.float32([[1, 0], [0.9, 0.436], [0, 1], [0.1, 0.995]])
    assert [i for i, _ in nearest(v, v[0], 2, exclude={0})] == [1, 3]
    assert recall_at_k(v, ["a", "a", "b", "b"], ks=(1,)) == {1: 1.0}
    assert recall_at_k(v, ["a", "b", "a", "b"], ks=(1, 3)) == {1: 0.0, 3: 1.0}
    with pytest.raises(ValueError, match="no group"):
        recall_at_k(v, ["a", "b", "c", "d"])


def test_embed_and_similar_commands(embedder_dir, tmp_path, capsys):
    from skucut.cli import main

    shop = tmp_path / "shop"
    shop.mkdir()
    cup = Image.open(EXAMPLE).convert("RGB")
    cup.save(shop / "cup_1.jpg")
    cup.transpose(Image.FLIP_LEFT_RIGHT).resize((cup.width // 2, cup.height // 2)).save(
        shop / "cup_2.jpg"
    )
    for i in (1, 2):
        Image.fromarray(disc_image(96, seed=i)[0]).save(shop / f"disc_{i}.jpg")
    (shop / "broken.jpg").write_bytes(b"not an image")
    model = str(embedder_dir / "model.onnx")
    index = tmp_path / "vectors.npy"
    argv = ["embed", str(shop), "-o", str(index), "--embedder", model, "--no-cutout"]
    assert main(argv) == 1  # one file failed, the rest are indexed
    captured = capsys.readouterr()
    assert "broken.jpg" in captured.err and "4 embedded from whole photos, 1 failed" in captured.out
    names, vectors, meta = read_index(index)
    assert len(names) == 4 and vectors.shape == (4, 1280) and meta["cutout"] is False
    assert main(["similar", str(shop / "cup_1.jpg"), "--index", str(tmp_path / "vectors")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("cup_1.jpg") and lines[1].split()[2].endswith("cup_2.jpg")
    assert len(lines) == 4  # itself left out: the 3 others
    # a photo not in the index is embedded the way the index was
    outside = tmp_path / "query.jpg"
    cup.resize((cup.width // 3, cup.height // 3)).save(outside)
    assert main(["similar", str(outside), "--index", str(index), "-k", "1"]) == 0
    assert "cup_" in capsys.readouterr().out.splitlines()[1]
    assert main(["embed", str(shop), "-o", str(tmp_path / "v.txt"), "--embedder", model]) == 2
