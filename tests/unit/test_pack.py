"""skucut data pack: one compact ZIP of a data folder, and training from it via data_root."""

import zipfile

import numpy as np
import pytest
from PIL import Image

from skucut.cli import main
from skucut.data.pack import build_pack
from skucut.data.pairs import find_pairs, load_pair
from tests.conftest import disc_image


@pytest.fixture()
def data_root(tmp_path):
    root = tmp_path / "data"
    for name in ("train/discs", "eval/discs-dev"):
        (root / name / "images").mkdir(parents=True)
        (root / name / "masks").mkdir()
        for i in range(3):
            rgb, mask = disc_image(400, seed=i)
            mask[:10] = 128  # an ignore band must survive the resize
            Image.fromarray(rgb).save(root / name / "images" / f"d{i}.png")
            Image.fromarray(mask).save(root / name / "masks" / f"d{i}.png")
    (root / "cutouts").mkdir()
    cutout = np.zeros((900, 600, 4), np.uint8)
    cutout[200:700, 150:450] = (200, 30, 30, 255)
    Image.fromarray(cutout).save(root / "cutouts" / "box.png")
    (root / "photos-unlabeled").mkdir()  # not named: must stay out of the pack
    Image.fromarray(disc_image(64)[0]).save(root / "photos-unlabeled" / "x.jpg")
    return root


def test_pack_shrinks_images_and_keeps_labels(data_root, tmp_path):
    out = tmp_path / "pack.zip"
    summary = build_pack(data_root, out, ["train/discs", "eval/discs-dev", "cutouts"], 128)
    assert summary.files == 13 and out.exists()
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as pack:
        names = pack.namelist()
        pack.extractall(unpacked)
    assert "train/discs/images/d0.webp" in names and "cutouts/box.png" in names
    assert not any(n.startswith("photos-unlabeled") for n in names)
    pairs = find_pairs(unpacked / "train/discs")
    assert len(pairs) == 3
    pair = load_pair(*pairs[0])
    assert max(pair.image.shape[:2]) == 128 and pair.mask.shape == pair.image.shape[:2]
    assert set(np.unique(pair.mask)) == {0, 128, 255}
    cut = Image.open(unpacked / "cutouts/box.png")
    assert cut.mode == "RGBA" and max(cut.size) == 512
    assert not list(tmp_path.glob("*.partial"))


def test_pack_from_config_and_train_with_data_root(data_root, tmp_path, capsys):
    config = tmp_path / "c.yaml"
    config.write_text(
        "data_root: /nowhere\n"
        "train_dirs: [train/discs]\n"
        "val_dirs: [eval/discs-dev]\n"
        "arch_kwargs: {base: 4, depth: 2, max_width: 8}\n"
        "train_size: 32\ninput_size: 32\nbatch_size: 2\nsteps: 2\nwarmup_steps: 1\n"
    )
    out = tmp_path / "pack.zip"
    assert main(["data", "pack", str(data_root), "-o", str(out), "--config", str(config)]) == 0
    assert "12 files from 2 folders" in capsys.readouterr().out
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(out).extractall(unpacked)
    run = tmp_path / "run"
    args = ["train", "--config", str(config), "--data-root", str(unpacked), "--out-dir", str(run)]
    assert main(args) == 0
    assert (run / "best.pt").exists()


def test_pack_errors_are_one_line(data_root, tmp_path, capsys):
    out = str(tmp_path / "p.zip")
    assert main(["data", "pack", str(data_root), "-o", out, "--folders", "nope"]) == 2
    assert "no folder" in capsys.readouterr().err
    assert main(["data", "pack", str(data_root), "-o", out]) == 2
    assert "--config CONFIG or --folders" in capsys.readouterr().err
