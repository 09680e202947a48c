"""The CLI contract and batch error handling, run as a user would (a real subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from skucut.catalog import DEFAULT_MODEL, OFFERED_MODELS
from tests.conftest import EXAMPLE, disc_image


def skucut(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "skucut.cli", *args], input=stdin, capture_output=True, timeout=300
    )


def _photo_folder(root: Path) -> dict[str, tuple[int, int]]:
    """Photos in nested folders and several formats; returns relative stem -> (w, h)."""
    sizes = {}
    for i, (rel, fmt) in enumerate([("a.jpg", "JPEG"), ("b.png", "PNG"), ("sub/c.webp", "WEBP")]):
        rgb, _ = disc_image(48 + 16 * i, seed=i)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rgb).save(path, fmt)
        sizes[str(Path(rel).with_suffix(""))] = (rgb.shape[1], rgb.shape[0])
    return sizes


def test_mask_contract(tmp_path, tiny_model):
    src, out = tmp_path / "in", tmp_path / "out"
    sizes = _photo_folder(src)
    result = skucut("remove", str(src), "-o", str(out), "--mask", "-m", str(tiny_model))
    assert result.returncode == 0, result.stderr.decode()
    for stem, size in sizes.items():
        mask = Image.open(out / f"{stem}.png")
        assert mask.mode == "L" and mask.size == size
    assert not list(out.rglob("*.tmp"))


def test_bad_file_is_reported_and_batch_goes_on(tmp_path, tiny_model):
    src, out = tmp_path / "in", tmp_path / "out"
    _photo_folder(src)
    (src / "broken.jpg").write_bytes(Image.open(src / "a.jpg").tobytes()[:100])
    (src / "truncated.png").write_bytes((src / "b.png").read_bytes()[:200])
    result = skucut("remove", str(src), "-o", str(out), "-m", str(tiny_model))
    assert result.returncode == 1
    errors = [line for line in result.stderr.decode().splitlines() if "error" in line]
    assert len(errors) == 2 and all("Traceback" not in line for line in errors)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == [
        "a.png",
        "b.png",
        "sub/c.png",
    ]
    for p in out.rglob("*.png"):
        image = Image.open(p)
        assert image.mode == "RGBA"
        image.load()  # complete, decodable files only
    # Images run in parallel threads; one at a time gives the same bytes and the same report.
    serial = skucut(
        "remove", str(src), "-o", str(tmp_path / "serial"), "-m", str(tiny_model), "-j", "1"
    )
    assert serial.returncode == 1
    no_rate = lambda text: re.sub(rb"\([\d.]+ images/s\)", b"", text)  # noqa: E731
    assert no_rate(serial.stderr) == no_rate(result.stderr)
    assert result.stderr.decode().splitlines()[-1].startswith("skucut: 3 done, 2 failed, ")
    for p in out.rglob("*.png"):
        assert (tmp_path / "serial" / p.relative_to(out)).read_bytes() == p.read_bytes()


def test_single_bad_file_exit_code_and_no_output(tmp_path, tiny_model):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    result = skucut("remove", str(bad), "-o", str(tmp_path / "o.png"), "-m", str(tiny_model))
    assert result.returncode == 3
    assert result.stderr.decode().count("\n") == 2  # the error line and the summary line
    assert not (tmp_path / "o.png").exists()


def test_input_is_never_overwritten(tmp_path, tiny_model):
    rgb, _ = disc_image(40)
    path = tmp_path / "p.png"
    Image.fromarray(rgb).save(path)
    before = path.read_bytes()
    result = skucut("remove", str(path), "-o", str(tmp_path), "-m", str(tiny_model))
    assert result.returncode == 1 and b"overwrite an input" in result.stderr
    assert path.read_bytes() == before


def test_stdin_to_stdout_jpg_on_colour(tmp_path, tiny_model):
    rgb, _ = disc_image(40)
    data = tmp_path / "x.png"
    Image.fromarray(rgb).save(data)
    result = skucut(
        "remove",
        "-",
        "-m",
        str(tiny_model),
        "--format",
        "jpg",
        "--bg-color",
        "white",
        stdin=data.read_bytes(),
    )
    assert result.returncode == 0, result.stderr.decode()
    out = tmp_path / "o.jpg"
    out.write_bytes(result.stdout)
    image = Image.open(out)
    assert image.format == "JPEG" and image.size == (40, 40)


def test_unknown_model_lists_available(tmp_path):
    result = skucut("remove", str(EXAMPLE), "-o", str(tmp_path), "-m", "no-such-model")
    assert result.returncode == 4 and b"segmentation models:" in result.stderr


def test_models_command_one_line_per_offered_model():
    result = skucut("models")
    assert result.returncode == 0
    lines = result.stdout.decode().splitlines()
    by_name = {line.split()[0]: line for line in lines[1:-1]}
    assert set(by_name) == set(OFFERED_MODELS)  # the retired ones only with --all
    default = [line for line in lines if " * " in line]
    assert len(default) == 1 and default[0].startswith(f"{DEFAULT_MODEL} *")
    fast = by_name["skucut-fast-v1"].split()
    assert fast[1] == "segmentation" and fast[3] == "MB" and "IoU" in fast
    assert max(len(line) for line in lines) < 160


def test_models_command_details_and_all():
    one = skucut("models", "skucut-fast-v1").stdout.decode()
    assert "products-dev: iou=0.885" in one and "boundary_f1=" in one  # every metric
    everything = skucut("models", "--all").stdout.decode()
    retired = [line for line in everything.splitlines() if "retired" in line]
    assert len(everything.splitlines()) >= len(OFFERED_MODELS) + 2 + len(retired)
    unknown = skucut("models", "no-such-model")
    assert unknown.returncode == 4 and b"unknown model" in unknown.stderr


def test_shipped_model_on_example_photo(tmp_path):
    """The README's main job: the shipped model finds the cup in the example photo."""
    out = tmp_path / "out"
    result = skucut("remove", str(EXAMPLE.parent), "-o", str(out), "--mask")
    assert result.returncode == 0, result.stderr.decode()
    mask = np.asarray(Image.open(out / "coffee.png"))
    assert mask.shape == (400, 600)
    assert mask[120:200, 230:360].mean() > 200  # inside the cup
    assert mask[:30, :30].mean() < 60 and mask[-30:, -30:].mean() < 60  # table corners
    env_free = os.environ.get("SKUCUT_MODELS_DIR") is None
    assert env_free  # the shipped model, not an override


def test_existing_outputs_are_replaced_unless_skip_existing(tmp_path, tiny_model):
    src, out = tmp_path / "in", tmp_path / "out"
    _photo_folder(src)
    out.mkdir()
    (out / "a.png").write_bytes(b"stale")
    assert (
        skucut(
            "remove", str(src), "-o", str(out), "--skip-existing", "-m", str(tiny_model)
        ).returncode
        == 0
    )
    assert (out / "a.png").read_bytes() == b"stale" and (out / "b.png").exists()
    assert skucut("remove", str(src), "-o", str(out), "-m", str(tiny_model)).returncode == 0
    assert Image.open(out / "a.png").mode == "RGBA"


def test_preset_writes_a_marketplace_image(tmp_path):
    out = tmp_path / "out"
    result = skucut("remove", str(EXAMPLE), "-o", str(out), "--preset", "white-main")
    assert result.returncode == 0, result.stderr.decode()
    image = Image.open(out / "coffee.jpg")
    assert image.format == "JPEG" and image.size == (2000, 2000)
    pixels = np.asarray(image)
    assert (pixels[:40, :40] >= 250).all()  # pure white corners (JPEG rounding aside)
    # The product fills ~85% of the frame along its larger extent.
    rows = np.flatnonzero((pixels.min(axis=2) < 200).any(axis=1))
    cols = np.flatnonzero((pixels.min(axis=2) < 200).any(axis=0))
    extent = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
    assert 0.8 * 2000 <= extent <= 0.87 * 2000


def test_options_override_preset_and_bad_options_fail_cleanly(tmp_path):
    out = tmp_path / "out"
    result = skucut(
        "remove", str(EXAMPLE), "-o", str(out), "--preset", "white-main", "-f", "png",
        "--canvas", "300x200", "--shadow", "drop",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    image = Image.open(out / "coffee.png")
    assert image.size == (300, 200) and image.mode == "RGB"
    bad = skucut("remove", str(EXAMPLE), "-o", str(out), "--canvas", "big")
    assert bad.returncode == 2 and b"canvas must look like" in bad.stderr
    assert b"Traceback" not in bad.stderr
    missing_bg = skucut("remove", str(EXAMPLE), "-o", str(out), "--bg-image", "nope.jpg")
    assert missing_bg.returncode != 0 and b"Traceback" not in missing_bg.stderr
    listed = skucut("presets")
    assert listed.returncode == 0 and b"white-main" in listed.stdout


def test_help_groups_commands_and_states_every_default():
    top = skucut("--help").stdout.decode()
    assert top.splitlines()[2].startswith("skucut: remove the background of product photos")
    use, build = top.index("\nuse:\n"), top.index("\nbuild and measure models:\n")
    for command in ("remove", "batch", "serve", "upscale", "models", "presets"):
        assert use < top.index(f"\n  {command} ") < build
    for command in ("train", "eval", "export", "quantize", "prune", "bench", "data"):
        assert build < top.index(f"\n  {command} ")
    from skucut.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    for name in ("remove", "batch", "upscale"):
        for action in commands[name]._actions:
            if action.option_strings and action.dest not in ("help", "output", "resume"):
                assert "default" in (action.help or ""), (name, action.option_strings)
    text = skucut("remove", "--help").stdout.decode()
    assert "{learned,none,guided,fast,quality}" in text and "white-main, white-shadow" in text
    examples = text[text.index("\nexamples:\n") :]
    assert "--preset white-main" in examples and "--watch" in examples


def test_mask_with_a_preset_or_composition_is_refused(tmp_path):
    out = tmp_path / "out"
    for extra in (["--preset", "white-main"], ["--canvas", "300x300", "--shadow", "drop"]):
        result = skucut("remove", str(EXAMPLE), "-o", str(out), "--mask", *extra)
        assert result.returncode == 2, result.stderr.decode()
        (line,) = result.stderr.decode().splitlines()
        assert line.startswith("skucut: error: mask gives the alpha channel only, so it cannot")
        assert extra[0].lstrip("-") in line and not out.exists()
    harmless = skucut("remove", str(EXAMPLE), "-o", str(out), "--mask", "-f", "png")
    assert harmless.returncode == 0 and Image.open(out / "coffee.png").mode == "L"
