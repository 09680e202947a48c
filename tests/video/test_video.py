"""skucut video / remove_video on tiny generated clips, through real codecs and the shipped
default model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

av = pytest.importorskip("av")

import skucut  # noqa: E402
from skucut.errors import ImageTooLarge, InvalidVideo, VideoTooLong  # noqa: E402
from skucut.pipeline import RemoveOptions  # noqa: E402
from skucut.video import remove_video  # noqa: E402
from skucut.video.run import ConstantRate  # noqa: E402
from tests.video.clips import iou, read_rgba, write_clip  # noqa: E402


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, list[np.ndarray]]:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return path, write_clip(path, frames=8, fps=25, audio=True)


@pytest.mark.parametrize(
    "name",
    [
        "out.webm",
        pytest.param("out.mov", marks=pytest.mark.slow),
        pytest.param("out.webp", marks=pytest.mark.slow),
    ],
)
def test_alpha_formats_keep_frames_rate_and_cut_the_product(clip, tmp_path, name):
    source, masks = clip
    result = remove_video(source, tmp_path / name)
    frames, fps = read_rgba(tmp_path / name)
    assert len(frames) == result.frames == 8
    assert fps == pytest.approx(25, abs=0.01)
    assert frames[0].shape == (96, 128, 4)
    scores = [iou(frame[..., 3], mask) for frame, mask in zip(frames, masks, strict=True)]
    # The video path is what is tested here (model quality lives in bench/): every frame is the
    # product, cut. skucut-quality-v3 holes one blue band of this striped toy box in some
    # frames (IoU about 0.83; v2 0.98), a known limit in its card.
    assert min(scores) > 0.8, scores
    # The alpha is really there: the backdrop's corner is transparent, the product opaque.
    assert frames[3][2, 2, 3] < 30 and frames[3][48, 64, 3] > 225


@pytest.mark.slow
def test_sound_is_kept_where_the_format_holds_it(clip, tmp_path):
    source, _ = clip
    for name, codec in (("a.webm", "opus"), ("a.mov", "aac")):
        assert remove_video(source, tmp_path / name).audio
        with av.open(str(tmp_path / name)) as container:
            assert container.streams.audio[0].codec_context.name == codec
            seconds = container.duration / 1_000_000
        assert seconds == pytest.approx(8 / 25, abs=0.06)  # the clip's length, give or take a frame
    assert not remove_video(source, tmp_path / "a.webp").audio  # WebP holds no sound


def test_mp4_needs_a_background_and_gets_it(clip, tmp_path):
    source, masks = clip
    with pytest.raises(ValueError, match="no alpha"):
        remove_video(source, tmp_path / "x.mp4")
    assert not list(tmp_path.iterdir())  # nothing left behind
    result = skucut.remove_video(source, tmp_path / "white.mp4", bg_color="white")
    assert (result.kind, result.frames, result.audio) == ("mp4", 8, True)
    frames, _ = read_rgba(tmp_path / "white.mp4")
    assert len(frames) == 8
    background = frames[4][..., :3][masks[4] == 0]
    assert np.median(background) >= 250  # the grey backdrop became white


@pytest.mark.slow
def test_png_sequence_and_frame_folder_round_trip(clip, tmp_path):
    source, _ = clip
    result = remove_video(source, tmp_path / "frames")
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == [f"{i:06d}.png" for i in range(1, 9)] and result.kind == "png"
    # A folder of frames is a video too, at --fps.
    result = remove_video(tmp_path / "frames", tmp_path / "again.webm", fps=12.5)
    frames, fps = read_rgba(tmp_path / "again.webm")
    assert len(frames) == 8 and fps == pytest.approx(12.5)


@pytest.mark.slow
def test_mask_output_is_the_alpha_as_grey(clip, tmp_path):
    source, masks = clip
    remove_video(source, tmp_path / "mask.mov", RemoveOptions(mask=True))
    frames, _ = read_rgba(tmp_path / "mask.mov")
    assert iou(frames[2][..., 0], masks[2]) > 0.85
    assert (frames[2][..., 3] == 255).all()


def test_truncated_or_damaged_input_writes_nothing_and_keeps_the_old_output(clip, tmp_path):
    source, _ = clip
    fast = tmp_path / "fast.mp4"
    write_clip(fast, frames=20, audio=False, faststart=True)  # index first: cut files still open
    data = fast.read_bytes()
    out = tmp_path / "out.webm"
    out.write_bytes(b"previous result")
    for name, blob in (
        ("cut.mp4", data[: len(data) // 2]),  # ends mid-stream
        ("head.mp4", source.read_bytes()[:2000]),  # index missing
        ("junk.mp4", b"not a video at all" * 50),
    ):
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(InvalidVideo):
            remove_video(tmp_path / name, out)
        assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "cut.mp4",
        "fast.mp4",
        "head.mp4",
        "junk.mp4",
        "out.webm",
    ]


def test_limits(clip, tmp_path):
    source, _ = clip
    with pytest.raises(VideoTooLong):
        remove_video(source, tmp_path / "o.webm", max_seconds=0.1)
    with pytest.raises(ImageTooLarge):
        remove_video(source, tmp_path / "o.webm", RemoveOptions(max_pixels=5000))
    with pytest.raises(ValueError, match="frame size"):
        remove_video(source, tmp_path / "o.webm", RemoveOptions(canvas=(200, 200)))
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_smoothing_does_not_trail_a_moving_product(tmp_path):
    """A product moving 6 px a frame: the smoothed cut follows it as closely as per-frame
    cutting does (a smoother that averaged without motion would leave a ghost behind)."""
    source = tmp_path / "moving.mp4"
    masks = write_clip(source, frames=8, audio=False, step=6)
    remove_video(source, tmp_path / "smooth.webm")
    remove_video(source, tmp_path / "raw.webm", smooth=False)
    smooth = [
        iou(f[..., 3], m)
        for f, m in zip(read_rgba(tmp_path / "smooth.webm")[0], masks, strict=True)
    ]
    raw = [
        iou(f[..., 3], m) for f, m in zip(read_rgba(tmp_path / "raw.webm")[0], masks, strict=True)
    ]
    assert np.mean(smooth) >= np.mean(raw) - 0.01, (smooth, raw)


def test_cli_one_line_errors_and_summary(clip, tmp_path):
    source, _ = clip
    bad = tmp_path / "bad.mov"
    bad.write_bytes(b"\x00" * 500)
    run = [sys.executable, "-m", "skucut.cli", "video"]
    done = subprocess.run(
        [*run, str(bad), "-o", str(tmp_path / "o.webm")], capture_output=True, text=True
    )
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "not a readable video" in done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run(
        [*run, str(source), "-o", str(tmp_path / "o.mp4"), "--bg-color", "#00ff00"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "8 frames" in done.stderr and "sound kept" in done.stderr
    assert "it/s" not in done.stderr  # no progress bar when stderr is not a terminal


def test_missing_pyav_is_a_one_line_hint(monkeypatch, tmp_path):
    from skucut.video._av import VideoSupportMissing

    monkeypatch.setitem(sys.modules, "av", None)
    clip = tmp_path / "c.mp4"
    clip.write_bytes(b"x")
    with pytest.raises(VideoSupportMissing, match=r"pip install 'skucut\[video\]'"):
        remove_video(clip, tmp_path / "o.webm")


def _clip(path, pts, size=(64, 48), rotation=0):
    """An H.264 clip whose frame i has a white band i*3+3 px wide at the left, at the given
    timestamps (1/25 s each), with a display rotation (a phone's upright clip)."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        if rotation:
            stream.set_display_rotation(rotation)
        for i, p in enumerate(pts):
            rgb = np.full((size[1], size[0], 3), 60, np.uint8)
            rgb[:, : i * 3 + 3] = 255
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = p
            out.mux(stream.encode(frame))
        out.mux(stream.encode())


def test_a_variable_rate_clip_keeps_its_timing(tmp_path):
    # 10 frames, a stall of 10 frame times (the phone slowed down), 10 more frames.
    _clip(tmp_path / "vfr.mp4", [*range(10), *range(20, 30)])
    result = remove_video(tmp_path / "vfr.mp4", tmp_path / "grey.mp4", RemoveOptions(mask=True))
    assert result.fps == pytest.approx(25) and result.frames == 30
    assert result.seconds == pytest.approx(1.2)  # 20 frames in, over 1.2 s: 30 out at 25 fps
    with av.open(str(tmp_path / "grey.mp4")) as container:
        assert sum(1 for _ in container.decode(video=0)) == 30


def test_frames_go_on_the_constant_rate_by_their_timestamps():
    class Frames(list):
        def write(self, rgb, alpha):
            self.append(rgb)

    sink = Frames()
    timed = ConstantRate(sink, 25)
    for name, seconds in (("a", 0.0), ("b", 0.04), ("c", 0.05), ("d", 0.16), ("e", None)):
        timed.write(seconds, name, None)
    # c shares b's slot (the first stands); d comes two slots late (b is held); e is next.
    assert sink == ["a", "b", "b", "b", "d", "e"] and timed.written == 6


def test_a_phone_clips_display_rotation_is_applied(tmp_path):
    _clip(tmp_path / "phone.mp4", range(4), size=(64, 48), rotation=90)
    result = remove_video(tmp_path / "phone.mp4", tmp_path / "frames", RemoveOptions(mask=True))
    assert (result.width, result.height) == (48, 64)  # upright, as a player shows it
    first = np.asarray(Image.open(sorted((tmp_path / "frames").iterdir())[0]))
    assert first.shape[:2] == (64, 48)
