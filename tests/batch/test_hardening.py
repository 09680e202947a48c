"""Issue 17, batch part: no input overwritten, no output outside its root, one engine per run
folder, bad manifest rows and unusable files fail alone (and are reported, one row each)."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from skucut.batch.run import execute, start
from skucut.batch.state import RunInUse, RunState, Task
from skucut.batch.worker import process
from tests.conftest import disc_image


def _image(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(disc_image(32, seed=seed)[0]).save(path)
    return path


def _failures(run_dir: Path) -> list[dict]:
    with open(run_dir / "failures.csv") as f:
        return list(csv.DictReader(f))


def _statuses(run_dir: Path) -> list[str]:
    with sqlite3.connect(run_dir / "state.sqlite") as con:
        return [r[0] for r in con.execute("SELECT status FROM items ORDER BY id")]


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "skucut.cli", "batch", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_item1_output_folder_on_the_inputs_never_overwrites_one(tmp_path, tiny_model):
    _image(tmp_path / "in" / "a.png", 1)
    _image(tmp_path / "in" / "b.jpg", 2)
    before = _files(tmp_path / "in")
    options = {"model": str(tiny_model), "mask": True}
    state = start([str(tmp_path / "in")], str(tmp_path / "in"), options, tmp_path / "r1", 0)
    assert execute(state, "local", workers=1) == {"done": 1, "failed": 1}
    (row,) = _failures(tmp_path / "r1")
    assert row["source"].endswith("a.png") and row["attempts"] == "0"
    assert "would overwrite an input" in row["error"]
    after = _files(tmp_path / "in")
    assert {k: after[k] for k in before} == before  # a.png is still the photo
    assert Image.open(tmp_path / "in" / "b.png").mode == "L"
    # The same folder reached through a link: every output now lands on an input's name.
    (tmp_path / "link").symlink_to(tmp_path / "in")
    state = start([str(tmp_path / "in")], str(tmp_path / "link"), options, tmp_path / "r2", 0)
    assert execute(state, "local", workers=1) == {"failed": 3}
    assert _files(tmp_path / "in") == after


def test_item2_outputs_stay_inside_the_output_root(tmp_path, tiny_model, monkeypatch):
    escapes = ["../../escape", str(tmp_path / "abs"), "..\\..\\back", "sub/../../up", "a//b"]
    outputs = [*escapes, "good/one"]
    photos = [_image(tmp_path / "in" / f"p{i}.jpg", i) for i in range(len(outputs))]
    rows = [{"path": str(p), "output": o} for p, o in zip(photos, outputs, strict=True)]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out, options = tmp_path / "out", {"model": str(tiny_model)}
    state = start([str(tmp_path / "m.jsonl")], str(out), options, tmp_path / "run", 0)
    assert execute(state, "local", workers=1) == {"done": 1, "failed": len(escapes)}
    failures = _failures(tmp_path / "run")
    assert [f["output"] for f in failures] == escapes
    assert all("inside the output folder" in f["error"] for f in failures)
    # Nothing lands outside the output folder (the run keeps its review pictures in run/explain)
    written = {p for p in tmp_path.rglob("*.png") if tmp_path / "run" / "explain" not in p.parents}
    assert written == {out / "good" / "one.png"}
    # A glob reaching up the tree names outputs from its folder, not from the working one.
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    state = start(["../in/*.jpg"], "../out2", options, tmp_path / "run2", 0)
    assert execute(state, "local", workers=1) == {"done": len(photos)}
    assert sorted(p.name for p in (tmp_path / "out2").iterdir()) == [
        p.stem + ".png" for p in photos
    ]
    assert sorted((tmp_path / "in").iterdir()) == photos


def test_item5_one_engine_per_run_folder(tmp_path, tiny_model):
    for i in range(3):
        _image(tmp_path / "in" / f"p{i}.jpg", i)
    run = tmp_path / "run"
    options = {"model": str(tiny_model), "mask": True}
    state = start([str(tmp_path / "in")], str(tmp_path / "out"), options, run, 0)
    state.mark_running([1])  # this process is the engine, with one image in flight
    with pytest.raises(RunInUse, match=f"in use by process {os.getpid()}"):
        RunState.open(run)
    second = _cli("--resume", str(run))
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"skucut: error: {run} is in use by process {os.getpid()} (another skucut batch); "
        "wait for it to end or stop it"
    ]
    assert _statuses(run) == ["running", "pending", "pending"]  # its work was left alone
    status = _cli("status", str(run))  # reading never takes the lock nor resets work
    assert status.returncode == 0 and "running: 1" in status.stdout
    assert _statuses(run) == ["running", "pending", "pending"]
    state.close()
    resumed = _cli("--resume", str(run), "--workers", "1")
    assert resumed.returncode == 0, resumed.stderr
    assert _statuses(run) == ["done"] * 3


def test_item7_bad_manifest_rows_fail_alone(tmp_path, tiny_model):
    photo = str(_image(tmp_path / "p.jpg"))
    (tmp_path / "m.csv").write_text(
        "path,output,quality,fill,mask,format\n"
        f"{photo},q,90,,,jpg\n"
        f"{photo},f,,0.5,,\n"
        f"{photo},m,,,false,\n"
        f"{photo},bad,abc,,,\n"
        f"{photo},extra,,,,,surplus\n"
    )
    lines = [
        json.dumps({"path": photo, "output": "j1", "colour": "red"}),
        "[1, 2]",
        "{not json",
        json.dumps({"path": photo, "output": "j2"}),  # one photo, two outputs
        json.dumps({"path": photo, "output": "j3", "canvas": [40, 30]}),
    ]
    (tmp_path / "m.jsonl").write_text("\n".join(lines) + "\n")
    out, run = tmp_path / "out", tmp_path / "run"
    manifests = [str(tmp_path / "m.csv"), str(tmp_path / "m.jsonl")]
    state = start(manifests, str(out), {"model": str(tiny_model)}, run, 2)
    assert execute(state, "local", workers=1) == {"done": 5, "failed": 5}
    failures = _failures(run)
    assert [f["attempts"] for f in failures] == ["0"] * 5  # found before running: never tried
    expected = [
        "quality must be a number, got 'abc'",
        "m.csv row 5: more cells than the header has columns",
        "m.jsonl line 1: unknown column(s) colour; known: path, output, align,",
        "m.jsonl line 2: expected an object of columns, got '[1, 2]'",
        "m.jsonl line 3: Expecting property name",
    ]
    assert all(e in f["error"] for e, f in zip(expected, failures, strict=True)), failures
    assert Image.open(out / "q.jpg").format == "JPEG"
    assert Image.open(out / "m.png").mode == "RGBA"  # mask=false is false
    assert Image.open(out / "j3.png").size == (40, 30) and (out / "j2.png").is_file()
    state.close()
    # A resumed run has nothing left to do, and no row can crash a worker (old runs' rows).
    assert execute(RunState.open(run), "local", workers=1) == {"done": 5, "failed": 5}
    result = process(Task(1, photo, "x", {"colour": "red"}), {}, str(out))
    assert result.permanent and "colour" in result.error
    # Several rows on one output stop the run before any run folder is made.
    (tmp_path / "d.csv").write_text(f"path,output\n{photo},x\n{photo},x.png\n")
    with pytest.raises(ValueError, match="same output"):
        start([str(tmp_path / "d.csv")], str(out), {}, tmp_path / "run2", 0)
    assert not (tmp_path / "run2").exists()


def test_item8_unusable_files_are_reported_never_read(tmp_path, tiny_model):
    _image(tmp_path / "in" / "good.jpg")
    os.mkfifo(tmp_path / "in" / "fifo.jpg")
    (tmp_path / "in" / "dangling.jpg").symlink_to(tmp_path / "nowhere.jpg")
    (tmp_path / "in" / "loop.jpg").symlink_to(tmp_path / "in" / "loop.jpg")
    (tmp_path / "in" / "folder.jpg").mkdir()
    os.mkfifo(tmp_path / "named.jpg")
    (tmp_path / "m.jsonl").write_text(json.dumps({"path": str(tmp_path / "named.jpg")}) + "\n")
    run = tmp_path / "run"
    args = [str(tmp_path / "in"), str(tmp_path / "m.jsonl"), "-o", str(tmp_path / "out")]
    done = _cli(*args, "--run-dir", str(run), "-m", str(tiny_model), "--workers", "1", timeout=90)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert [f.name for f in (tmp_path / "out").iterdir()] == ["good.png"]
    reasons = {Path(f["source"]).name: (f["attempts"], f["error"]) for f in _failures(run)}
    assert reasons == {
        "dangling.jpg": ("0", f"a dangling symbolic link (to {tmp_path / 'nowhere.jpg'})"),
        "fifo.jpg": ("0", "a FIFO, not a regular file"),
        "folder.jpg": ("0", "a folder, not an image file"),
        "loop.jpg": ("0", "a symbolic link loop"),
        "named.jpg": ("1", "a FIFO, not a regular file"),  # named by a manifest: never retried
    }


def test_item18_failures_with_one_name_stay_apart(tmp_path, tiny_model):
    (tmp_path / "corrupt.jpg").write_bytes(b"not a jpeg")
    rows = [{"path": str(tmp_path / "corrupt.jpg"), "output": o} for o in ("a", "b")]
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    options = {"model": str(tiny_model)}
    state = start([str(tmp_path / "m.jsonl")], str(tmp_path / "out"), options, tmp_path / "r", 0)
    assert execute(state, "local", workers=1) == {"failed": 2}
    failures = _failures(tmp_path / "r")
    assert [(Path(f["source"]).name, f["output"]) for f in failures] == [
        ("corrupt.jpg", "a"),
        ("corrupt.jpg", "b"),
    ]
    assert all("not a recognised image" in f["error"] for f in failures)
