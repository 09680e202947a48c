"""Map packs: a segmentation model's own maps as the edge refiner's coarse input."""

import cv2
import numpy as np
from PIL import Image

from skucut.data.edge_maps import build_map_pack, load_map_sources
from skucut.data.edges import EdgeCfg, EdgeCrops, EdgeSource, _edges


def _cutout_folder(root):
    """One studio cutout: an opaque square with a soft rim and a faint shadow below it."""
    folder = root / "cutouts"
    folder.mkdir()
    rgba = np.zeros((60, 50, 4), np.uint8)
    rgba[..., :3] = (200, 40, 40)
    rgba[10:40, 10:40, 3] = 255
    rgba[9, 10:40, 3] = 120  # soft rim: stays product
    rgba[52:56, 10:40, 3] = 60  # shadow, away from the product: background in the target
    Image.fromarray(rgba).save(folder / "square.png")
    return folder


def test_pack_holds_the_model_map_of_every_photo(tmp_path, tiny_model, pair_folder):
    cutouts = _cutout_folder(tmp_path)
    pack = tmp_path / "pack"
    n = build_map_pack(str(tiny_model), pack, [str(pair_folder)], [str(cutouts)], [], 2)
    assert n == 12 + 2
    assert len(list((pack / "maps").glob("*.png"))) == 14
    assert [p.name for p in (pack / "valid").iterdir()] == [f"{pair_folder.name}-d00.png"]
    sources = load_map_sources([pack])
    assert len(sources) == 14
    for src in sources:
        assert src.coarse.shape == src.target.shape == src.rgb.shape[:2]
    # The model's map is its probability of the photo, not the truth: a tiny model's map is
    # soft and differs from the 0/255 mask somewhere.
    disc = next(s for s in sources if s.weight is None and s.target.max() == 255)
    assert np.abs(disc.coarse.astype(int) - disc.target).max() > 30
    composite = next(s for s in sources if s.target.shape != (64, 64))
    assert composite.target.max() == 255 and (composite.target == 120).any()  # soft rim kept
    assert build_map_pack(str(tiny_model), pack, [str(pair_folder)], [str(cutouts)], [], 2) == 14


def test_crops_of_a_mapped_photo_take_the_map_as_coarse_input():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:120, :160]
    target = (((yy - 60) ** 2 + (xx - 80) ** 2) < 40**2).astype(np.uint8) * 255
    rgb = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    coarse = np.full(target.shape, 77, np.uint8)
    src = EdgeSource(rgb, None, target, None, _edges(target, None), coarse)
    crops = EdgeCrops([], [], [], EdgeCfg(), mapped=[src])
    for k in range(5):
        crop = crops[k]
        # Beyond the photo's edge the label is void (and resizing blends a pixel or two).
        inside = cv2.erode((crop["weight"][0] > 0).astype(np.uint8), np.ones((5, 5))) > 0
        assert inside.mean() > 0.3
        assert np.allclose(crop["input"][3][inside], 77 / 255, atol=1e-3)
        assert crop["target"].min() == 0 and crop["target"].max() == 1
