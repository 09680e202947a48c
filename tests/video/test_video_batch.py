"""A video named in a batch manifest is one item: cut whole into a video, beside images, and a
video the options cannot cut fails alone."""

from __future__ import annotations

import csv

import pytest
from PIL import Image

pytest.importorskip("av")

from skucut.batch.run import execute, start
from tests.conftest import disc_image
from tests.video.clips import iou, read_rgba, write_clip


def test_a_manifest_video_is_one_item_beside_images(tmp_path):
    clip = tmp_path / "in" / "spin.mp4"
    clip.parent.mkdir()
    masks = write_clip(clip, frames=6, audio=False)
    photo = tmp_path / "in" / "photo.jpg"
    Image.fromarray(disc_image(64, seed=1)[0]).save(photo)
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        "path,output,bg_color,preset\n"
        f"{clip},,,\n"  # alpha kept: spin.webm
        f"{clip},white/spin,white,\n"  # a background: white/spin.mp4
        f"{clip},framed,,white-main\n"  # a preset that frames each picture alone: fails alone
        f"{photo},,,\n"
    )
    state = start([str(manifest)], str(tmp_path / "out"), {}, tmp_path / "run", 0)
    assert execute(state, "local", workers=1) == {"done": 3, "failed": 1}
    frames, _ = read_rgba(tmp_path / "out" / "spin.webm")
    assert len(frames) == 6
    scores = [iou(f[..., 3], m) for f, m in zip(frames, masks, strict=True)]
    assert min(scores) > 0.8, scores  # the video path is tested; see test_video
    opaque, _ = read_rgba(tmp_path / "out" / "white" / "spin.mp4")
    assert len(opaque) == 6 and opaque[0][2, 2, :3].min() > 235  # the backdrop is white now
    assert Image.open(tmp_path / "out" / "photo.png").mode == "RGBA"
    state.write_failures()
    with open(tmp_path / "run" / "failures.csv") as f:
        failed = list(csv.DictReader(f))
    assert len(failed) == 1 and "keeps its frame size" in failed[0]["error"]
    assert not (tmp_path / "out" / "framed.webm").exists()
