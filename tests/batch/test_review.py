"""Issue 16, batch part: each done image's review in the run state, a summary that counts the
flagged, review.csv, and `skucut batch review RUN`'s HTML contact sheet."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
from PIL import Image

from skucut.batch import worker
from skucut.batch.run import execute, start, status_lines, summary
from skucut.batch.sheet import write_sheet
from skucut.batch.state import RunState
from skucut.cli import main
from skucut.review import Review
from tests.conftest import disc_image

# The items table as skucut wrote it before reviews were recorded.
OLD_SCHEMA = """
CREATE TABLE run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, output TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0, error TEXT, output_uri TEXT, checksum TEXT, updated REAL
);
CREATE INDEX items_status ON items(status);
"""


def _photo(path: Path, width: int = 64, height: int = 64, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = disc_image(max(width, height), seed=seed)[0][:height, :width]
    Image.fromarray(rgb).save(path, quality=90)
    return path


def _score_by_width(monkeypatch) -> None:
    """The real cutout with a review read off the photo's width: confidence width/100, flagged
    under 80 px (forked local workers inherit the patch)."""
    real = worker.remove_bytes

    def scored(data, options):
        width = Image.open(io.BytesIO(data)).width
        flagged = width < 80
        review = Review(width / 100, flagged, f"w{width}" if flagged else "")
        return real(data, options)._replace(review=review)

    monkeypatch.setattr(worker, "remove_bytes", scored)


def _rows(run_dir: Path) -> dict[str, tuple]:
    with sqlite3.connect(run_dir / "state.sqlite") as con:
        rows = con.execute("SELECT source, status, confidence, needs_review, reason FROM items")
        return {Path(r[0]).name: r[1:] for r in rows}


def _csv(path: Path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


def _thumbnails(page: str) -> list[Image.Image]:
    found = re.findall(r'src="data:image/webp;base64,([^"]+)"', page)
    return [Image.open(io.BytesIO(base64.b64decode(data))) for data in found]


def test_a_run_records_each_review_and_lists_the_flagged(tmp_path, tiny_model):
    _photo(tmp_path / "in" / "a.jpg", seed=1)
    _photo(tmp_path / "in" / "b.jpg", seed=2)
    (tmp_path / "in" / "corrupt.jpg").write_bytes(b"not a jpeg")
    run_dir = tmp_path / "run"
    options = {"model": str(tiny_model)}
    state = start([str(tmp_path / "in")], str(tmp_path / "out"), options, run_dir, 0)
    assert execute(state, "local", workers=1) == {"done": 2, "failed": 1}
    rows = _rows(run_dir)
    assert rows["corrupt.jpg"] == ("failed", None, None, None)
    for name in ("a.jpg", "b.jpg"):  # the tiny model finds nothing: an empty cutout
        status, confidence, needs_review, reason = rows[name]
        assert status == "done" and needs_review == 1 and 0 <= confidence <= 1
        assert reason.startswith("empty cutout")
    listed = _csv(run_dir / "review.csv")
    assert [Path(r["source"]).name for r in listed] == ["a.jpg", "b.jpg"]
    assert listed[0]["output"] == str(tmp_path / "out" / "a.png")
    assert summary(state).startswith("2 done, 1 failed, 2 need review (contact sheet: ")


def test_cli_summary_status_and_contact_sheet(tmp_path, tiny_model, monkeypatch, capsys):
    _score_by_width(monkeypatch)
    for name, width in {"confident": 90, "worst": 40, "unsure": 50}.items():
        _photo(tmp_path / "in" / f"{name}.jpg", width)
    (tmp_path / "in" / "corrupt.jpg").write_bytes(b"not a jpeg")
    run_dir = tmp_path / "run"
    args = [str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--run-dir", str(run_dir)]
    assert main(["batch", *args, "-m", str(tiny_model), "--workers", "1"]) == 1
    out = capsys.readouterr().out
    assert (
        f"skucut: 3 done, 1 failed, 2 need review (contact sheet: skucut batch review {run_dir})"
        in out
    )
    assert main(["batch", "status", str(run_dir)]) == 0
    assert "needs review: 2" in capsys.readouterr().out.splitlines()
    assert main(["batch", "review", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert f"contact sheet: {run_dir / 'review.html'}" in out and "2 images need review" in out
    page = (run_dir / "review.html").read_text()
    # least confident first; the confident photo is not on the sheet
    assert page.index("worst.jpg") < page.index("unsure.jpg") and "confident" not in page
    assert re.findall(r"<td>(0\.\d\d)</td><td><ul><li>(w\d+)</li></ul></td>", page) == [
        ("0.40", "w40"),
        ("0.50", "w50"),
    ]
    assert len(_thumbnails(page)) == 4 and page.count('class="checker"') == 2
    assert "2 of 3 done images need review." in page
    assert [r["confidence"] for r in _csv(run_dir / "review.csv")] == ["0.4", "0.5"]
    assert main(["batch", "review", str(run_dir), "--limit", "1"]) == 0
    page = (run_dir / "review.html").read_text()
    assert "worst.jpg" in page and "unsure.jpg" not in page
    assert "Showing the 1 least confident" in page
    assert main(["batch", "review", str(run_dir), "--limit", "0"]) == 2
    assert main(["batch", "review", str(tmp_path / "nowhere")]) == 2
    assert "no run in" in capsys.readouterr().err


def test_sheet_escapes_names_bounds_thumbnails_and_survives_missing_files(tmp_path, tiny_model):
    name = "<b>&\"x'.jpg"  # file names are user data
    _photo(tmp_path / "in" / name, 400, 300)
    _photo(tmp_path / "in" / "gone.jpg", seed=3)
    options = {"model": str(tiny_model)}
    state = start([str(tmp_path / "in")], str(tmp_path / "out"), options, tmp_path / "run", 0)
    assert execute(state, "local", workers=1) == {"done": 2}
    (tmp_path / "out" / "gone.png").unlink()  # moved away since the run
    page = write_sheet(state).read_text()
    assert "<b>" not in page and '"x' not in page
    assert "&lt;b&gt;&amp;&quot;x&#x27;.jpg" in page and "&lt;b&gt;&amp;&quot;x&#x27;.png" in page
    # Each flagged image (the tiny model finds nothing) also shows its explain picture.
    photo, cutout, explain, gone_photo, gone_explain = _thumbnails(page)
    assert photo.size == (320, 240) and cutout.size == (320, 240) and gone_photo.size == (64, 64)
    assert explain.width == gone_explain.width == 720
    assert cutout.mode == "RGBA"  # the checkerboard shows through
    assert page.count('class="missing">could not read') == 1


def test_a_run_with_nothing_flagged_says_so(tmp_path, tiny_model, monkeypatch):
    _score_by_width(monkeypatch)
    _photo(tmp_path / "in" / "a.jpg", 90)
    options = {"model": str(tiny_model), "mask": True}
    state = start([str(tmp_path / "in")], str(tmp_path / "out"), options, tmp_path / "run", 0)
    assert execute(state, "local", workers=1) == {"done": 1}
    assert _rows(tmp_path / "run")["a.jpg"] == ("done", 0.9, 0, "")
    assert summary(state) == "1 done, 0 failed, 0 need review"
    page = write_sheet(state).read_text()
    assert "No image in this run needs review." in page and "<img" not in page
    assert not (tmp_path / "run" / "review.csv").exists()  # nothing to list


def _old_run(tmp_path: Path, model: Path) -> Path:
    """A run folder as the previous skucut left it: one image done, one still to do."""
    done, todo = _photo(tmp_path / "in" / "done.jpg"), _photo(tmp_path / "in" / "todo.jpg", 90)
    run_dir, out = tmp_path / "run", tmp_path / "out"
    run_dir.mkdir()
    config = {"inputs": [], "output": str(out), "options": {"model": str(model)}}
    with sqlite3.connect(run_dir / "state.sqlite") as con:
        con.executescript(OLD_SCHEMA)
        con.execute(
            "INSERT INTO run VALUES ('config', ?)", (json.dumps({**config, "max_attempts": 1}),)
        )
        con.execute(
            "INSERT INTO items (source, output, status, output_uri) VALUES (?, 'done', 'done', ?)",
            (str(done), str(out / "done.png")),
        )
        con.execute("INSERT INTO items (source, output) VALUES (?, 'todo')", (str(todo),))
    return run_dir


def _columns(run_dir: Path) -> list[str]:
    with sqlite3.connect(run_dir / "state.sqlite") as con:
        return [r[1] for r in con.execute("PRAGMA table_info(items)")]


def test_a_run_from_the_previous_version_is_read_as_is_and_migrated_on_resume(
    tmp_path, tiny_model, monkeypatch
):
    _score_by_width(monkeypatch)
    run_dir = _old_run(tmp_path, tiny_model)
    old_columns = _columns(run_dir)
    look = RunState.inspect(run_dir)
    assert "not scored: 1 (done by a skucut without review scores)" in status_lines(look)
    page = write_sheet(look).read_text()
    assert "No image in this run needs review." in page
    assert "1 done images have no score" in page and "1 images still to do" in page
    look.close()
    assert _columns(run_dir) == old_columns  # a look never changes the file
    state = RunState.open(run_dir)
    assert _columns(run_dir) == [*old_columns, "confidence", "needs_review", "reason", "enhance"]
    assert execute(state, "local", workers=1) == {"done": 2}
    rows = _rows(run_dir)
    assert rows["done.jpg"] == ("done", None, None, None)  # done before: not redone
    assert rows["todo.jpg"] == ("done", 0.9, 0, "")
    assert summary(state) == "2 done, 0 failed, 0 need review"


def test_results_cross_a_table_and_back():
    """How the Ray engine ships results: plain columns, numpy scalars on the way back."""
    done = worker.Result(3, "out/a.png", "abc", review=Review(0.25, True, "low confidence"))
    failed = worker.Result(4, error="corrupt", permanent=True)
    for result in (done, failed):
        row = {k: np.asarray(v)[()] for k, v in result.as_row().items()}
        assert set(row) == set(worker.ROW_COLUMNS)
        assert worker.Result.from_row(row) == result
