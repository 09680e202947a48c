"""Issue 17 (CLI and library side): no lost outputs, no tracebacks, no way past the limits."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from tests.conftest import disc_image
from tests.integration.test_cli import skucut


def _photo(path, seed=0, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb, _ = disc_image(48, seed=seed)
    Image.fromarray(rgb).save(path, fmt)
    return path


def _lines(result) -> list[str]:
    return result.stderr.decode().strip().splitlines()


def test_name_collisions_are_refused_before_anything_is_written(tmp_path, tiny_model):
    """Item 3: a.jpg + a.png in one folder, or d1/x.jpg + d2/x.jpg, would share one output."""
    folder = tmp_path / "same-stem"
    _photo(folder / "a.jpg")
    _photo(folder / "a.png", seed=1)
    result = skucut("remove", str(folder), "-o", str(tmp_path / "o1"), "-m", str(tiny_model))
    assert result.returncode == 2 and "several inputs" in result.stderr.decode()
    assert not (tmp_path / "o1").exists()
    d1, d2 = _photo(tmp_path / "d1" / "x.jpg"), _photo(tmp_path / "d2" / "x.jpg", seed=2)
    result = skucut("remove", str(d1), str(d2), "-o", str(tmp_path / "o2"), "-m", str(tiny_model))
    assert result.returncode == 2 and "x.png" in result.stderr.decode()
    assert not (tmp_path / "o2").exists()


@pytest.mark.parametrize(("name", "magic"), [("out.jpg", b"\xff\xd8"), ("out.webp", b"RIFF")])
def test_single_output_takes_its_format_from_its_name(tmp_path, tiny_model, name, magic):
    """Item 4: -o out.jpg used to write PNG bytes under a .jpg name."""
    src = _photo(tmp_path / "p.png")
    out = tmp_path / name
    result = skucut("remove", str(src), "-o", str(out), "-m", str(tiny_model))
    assert result.returncode == 0, result.stderr.decode()
    assert out.read_bytes()[:4].startswith(magic)


def test_a_contradicting_format_or_a_mask_named_jpg_is_refused(tmp_path, tiny_model):
    src = _photo(tmp_path / "p.png")
    for extra in (["--format", "png"], ["--mask"]):
        out = tmp_path / "out.jpg"
        result = skucut("remove", str(src), "-o", str(out), "-m", str(tiny_model), *extra)
        assert result.returncode == 2 and not out.exists(), extra
        assert len(_lines(result)) == 1 and "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize(
    ("args", "words", "code"),
    [
        (["--trim", "--margin", "1e12"], "margin must be between", 2),
        (["--trim", "--margin", "inf"], "margin must be between", 2),
        (["--canvas", "10000x10000"], "pixel limit", 2),
        (["--fill", "nan"], "fill must be a finite number", 2),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, tiny_model, args, words, code):
    """Item 6: these used to abort a folder run with cv2.error / OverflowError tracebacks."""
    src = _photo(tmp_path / "in" / "p.png")
    result = skucut(
        "remove", str(src.parent), "-o", str(tmp_path / "o"), "-m", str(tiny_model), *args
    )
    assert result.returncode == code
    assert _lines(result) == [line for line in _lines(result) if words in line][:1]
    assert not (tmp_path / "o").exists()


def test_a_bad_preset_file_and_a_corrupt_model_are_one_line_errors(tmp_path, tiny_model):
    src = _photo(tmp_path / "p.png")
    presets = tmp_path / "p.toml"
    presets.write_text('[mine]\nfill = "big"\n')
    result = skucut("remove", str(src), "-o", str(tmp_path / "o.png"), "-m", str(tiny_model),
                    "--preset", "mine", "--preset-file", str(presets))  # fmt: skip
    assert result.returncode == 2 and _lines(result) == [
        "skucut: error: fill must be a number, got 'big'"
    ]
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model at all")
    result = skucut("remove", str(src), "-o", str(tmp_path / "o.png"), "-m", str(broken))
    assert result.returncode == 4 and len(_lines(result)) == 1
    assert "not a usable ONNX model" in result.stderr.decode()


def test_a_super_resolution_model_is_not_offered_for_removal(tmp_path):
    """Item 11: the advice used to be 'export it with skucut export'."""
    src = _photo(tmp_path / "p.png")
    result = skucut("remove", str(src), "-o", str(tmp_path / "o.png"), "-m", "skucut-sr-x2-v1")
    assert result.returncode == 4
    assert "super-resolution model, not a segmentation one" in result.stderr.decode()
    listing = skucut("models").stdout.decode().splitlines()
    (line,) = [row for row in listing if row.startswith("skucut-sr-x2-v1")]
    assert line.split()[1] == "super-resolution"  # listed with its task, not as a remover


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_and_bad_links_are_reported_not_hung_on(tmp_path, tiny_model):
    """Item 8: a FIFO named x.jpg used to hang the run; bad links were skipped silently."""
    folder = tmp_path / "in"
    _photo(folder / "ok.png")
    os.mkfifo(folder / "fifo.jpg")
    (folder / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    result = skucut("remove", str(folder), "-o", str(tmp_path / "o"), "-m", str(tiny_model))
    assert result.returncode == 1
    text = result.stderr.decode()
    for name, why in (("fifo.jpg", "not a regular file"), ("dangling.jpg", "broken or looping"),
                      ("loop.jpg", "broken or looping")):  # fmt: skip
        assert any(name in line and why in line for line in _lines(result)), text
    assert "Traceback" not in text
    assert [p.name for p in (tmp_path / "o").iterdir()] == ["ok.png"]


def test_an_empty_folder_is_reported(tmp_path, tiny_model):
    (tmp_path / "empty").mkdir()
    result = skucut(
        "remove", str(tmp_path / "empty"), "-o", str(tmp_path / "o"), "-m", str(tiny_model)
    )
    assert result.returncode == 0 and "no images found" in result.stderr.decode()


def test_summary_line_and_review_list(tmp_path, tiny_model):
    """Issue 16: the run ends with done / failed / needs review, and lists what to check."""
    folder = tmp_path / "in"
    _photo(folder / "a.png")
    _photo(folder / "b.png", seed=1)
    (folder / "bad.jpg").write_bytes(b"not an image")
    review = tmp_path / "review.txt"
    result = skucut("remove", str(folder), "-o", str(tmp_path / "o"), "-m", str(tiny_model),
                    "--review-list", str(review))  # fmt: skip
    summary = _lines(result)[-1]
    flagged = review.read_text().splitlines()
    assert summary.startswith(f"skucut: 2 done, 1 failed, {len(flagged)} need review (")
    # the tiny test model finds nothing: both cutouts are empty, and say so
    assert sorted(line.split("\t")[0] for line in flagged) == [
        str(folder / "a.png"),
        str(folder / "b.png"),
    ]
    assert all(line.endswith("empty cutout: no product found") for line in flagged)
