"""skucut spin: one framing for every frame of a turntable set, previews and the viewer."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image, ImageSequence

pytest.importorskip("av")

from skucut.pipeline import RemoveOptions
from skucut.video.spin import spin_set
from tests.video.clips import scene


def turntable(folder, widths=(90, 70, 30, 70, 90)):
    """Frames of a striped box on a grey backdrop whose width changes as it turns (its height
    stays): wider than tall, then taller than wide, so framing each frame on its own would
    scale them differently. Names that sort naturally (t2 before t10)."""
    folder.mkdir()
    for i, width in enumerate(widths):
        rgb, _ = scene(0, size=(128, 96))
        backdrop = rgb[2, 2].copy()
        rgb[:] = backdrop
        x0 = 64 - width // 2
        cv2.rectangle(rgb, (x0, 28), (x0 + width, 68), (40, 70, 160), -1)
        for y in range(28, 68, 12):
            cv2.rectangle(rgb, (x0, y), (x0 + width, y + 4), (230, 190, 40), -1)
        Image.fromarray(rgb).save(folder / f"t{[2, 10, 11, 12, 30][i]}.jpg", quality=95)


def box(image: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(image.astype(np.int16).min(axis=2) < 200)
    return xs.min(), ys.min(), xs.max(), ys.max()


def test_spin_set_has_one_framing(tmp_path):
    turntable(tmp_path / "in")
    options = RemoveOptions.build("white-main", canvas=(256, 256), format="png")
    result = spin_set(tmp_path / "in", tmp_path / "out", options, fps=10)
    names = [p.name for p in result.frames]
    assert names == ["t2.png", "t10.png", "t11.png", "t12.png", "t30.png"]  # turning order
    images = [np.asarray(Image.open(p).convert("RGB")) for p in result.frames]
    assert all(im.shape == (256, 256, 3) for im in images)
    boxes = [box(im) for im in images]
    # The height did not change, so the top and bottom edges stay within 1% of the canvas;
    # the product stays centred; its width follows the input's (scale is shared).
    assert max(b[1] for b in boxes) - min(b[1] for b in boxes) <= 3
    assert max(b[3] for b in boxes) - min(b[3] for b in boxes) <= 3
    centres = [(b[0] + b[2]) / 2 for b in boxes]
    assert max(centres) - min(centres) <= 3
    widths = [b[2] - b[0] for b in boxes]
    # Framing each frame on its own (what skucut remove does) would have enlarged the narrow
    # frame's product 2.25x more; one framing keeps the widths in proportion.
    assert widths[2] / widths[0] == pytest.approx(30 / 90, abs=0.1)


@pytest.mark.slow
def test_spin_previews_and_viewer(tmp_path):
    turntable(tmp_path / "in")
    options = RemoveOptions.build("transparent-trim")
    result = spin_set(tmp_path / "in", tmp_path / "out", options, fps=10)
    assert [p.name for p in result.previews] == ["spin.webp", "spin.mp4", "spin.html"]
    with Image.open(tmp_path / "out" / "spin.webp") as preview:
        frames = [f.convert("RGBA") for f in ImageSequence.Iterator(preview)]
        assert len(frames) == 5 and preview.info.get("loop") == 0
        assert np.asarray(frames[0])[0, 0, 3] == 0  # transparent around the product
    import av

    with av.open(str(tmp_path / "out" / "spin.mp4")) as video:
        assert video.streams.video[0].frames == 5
    html = (tmp_path / "out" / "spin.html").read_text()
    assert html.count("data:image/webp;base64,") == 5
    assert "http://" not in html and "https://" not in html and "<script src" not in html
    assert "pointermove" in html  # drag to turn


def test_spin_cli_errors(tmp_path):
    (tmp_path / "in").mkdir()
    Image.new("RGB", (64, 48), "white").save(tmp_path / "in" / "a.jpg")
    Image.new("RGB", (50, 48), "white").save(tmp_path / "in" / "b.jpg")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "skucut.cli",
            "spin",
            str(tmp_path / "in"),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3 and "share one size" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "o").exists()
