"""Batch runs: manifests, retries, failure reports, resume after kill -9, S3, Ray."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from skucut.batch.run import execute, start
from skucut.batch.state import RunState
from tests.conftest import disc_image


def _photos(folder: Path, n: int, size: int = 64) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        rgb, _ = disc_image(size, seed=i)
        path = folder / f"p{i:03d}.jpg"
        Image.fromarray(rgb).save(path, quality=90)
        paths.append(path)
    return paths


def _skucut(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "skucut.cli", "batch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _done(run_dir: Path) -> int:
    db = run_dir / "state.sqlite"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as con:
        try:
            return con.execute("SELECT COUNT(*) FROM items WHERE status='done'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def _children(pid: int) -> list[str]:
    """Child processes of every thread of ``pid`` (a pool may spawn from a helper thread)."""
    return [c for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()]


def _alive(pid: str) -> bool:
    """Running (not a zombie waiting to be reaped by init)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _assert_complete(out: Path, names: set[str], run_dir: Path, size=(64, 64)) -> None:
    files = {p.name for p in out.iterdir() if p.is_file()}
    assert files == names, files ^ names
    assert not list(out.rglob("*.tmp")), "temp files left behind"
    with sqlite3.connect(run_dir / "state.sqlite") as con:
        rows = con.execute("SELECT status, output_uri, checksum FROM items").fetchall()
    assert {r[0] for r in rows} == {"done"}
    import hashlib

    for _, uri, checksum in rows:
        data = Path(uri).read_bytes()
        assert hashlib.sha256(data).hexdigest() == checksum
        assert Image.open(uri).size == size


def test_folder_run_with_retries_and_failure_report(tmp_path, tiny_model):
    _photos(tmp_path / "in", 3)
    (tmp_path / "in" / "corrupt.jpg").write_bytes(b"not a jpeg")
    options = {"model": str(tiny_model), "mask": True}
    state = start([str(tmp_path / "in")], str(tmp_path / "out"), options, tmp_path / "run", 2)
    # What a worker killed mid-write in an earlier attempt leaves behind: swept at the end.
    stale = tmp_path / "out" / "sub" / ".p001.png.x1y2z3.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a png")
    counts = execute(state, "local", workers=2)
    assert counts == {"done": 3, "failed": 1}
    assert not stale.exists()
    with open(tmp_path / "run" / "failures.csv") as f:
        (row,) = list(csv.DictReader(f))
    # A corrupt image is a permanent failure: tried once, not three times.
    assert row["source"].endswith("corrupt.jpg") and row["attempts"] == "1"
    assert "not a recognised image" in row["error"]
    mask = np.asarray(Image.open(tmp_path / "out" / "p000.png"))
    assert mask.shape == (64, 64) and mask.dtype == np.uint8


def test_transient_errors_are_retried_then_reported(tmp_path, tiny_model):
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"path": str(tmp_path / "missing.jpg")}) + "\n")
    state = start(
        [str(manifest)], str(tmp_path / "out"), {"model": str(tiny_model)}, tmp_path / "r", 2
    )
    assert execute(state, "local", workers=1) == {"failed": 1}
    with sqlite3.connect(tmp_path / "r" / "state.sqlite") as con:
        attempts, error = con.execute("SELECT attempts, error FROM items").fetchone()
    assert attempts == 3 and "FileNotFoundError" in error


def test_manifest_with_per_item_options(tmp_path, tiny_model):
    a, b = _photos(tmp_path / "in", 2)
    manifest = tmp_path / "m.csv"
    manifest.write_text(
        f"path,output,format,canvas,bg_color\n{a},shop/first,jpg,100x80,white\n{b},,,,\n"
    )
    options = {"model": str(tiny_model)}
    state = start([str(manifest)], str(tmp_path / "out"), options, tmp_path / "run", 0)
    assert execute(state, "local", workers=1) == {"done": 2}
    first = Image.open(tmp_path / "out" / "shop" / "first.jpg")
    assert first.format == "JPEG" and first.size == (100, 80)
    second = Image.open(tmp_path / "out" / "p001.png")
    assert second.mode == "RGBA" and second.size == (64, 64)


def test_bad_manifest_and_duplicate_outputs_are_refused(tmp_path):
    (tmp_path / "m.csv").write_text("name\nx.jpg\n")
    with pytest.raises(ValueError, match="no 'path'"):
        start([str(tmp_path / "m.csv")], str(tmp_path / "o"), {}, tmp_path / "r", 0)
    (tmp_path / "d.csv").write_text("path,output\na.jpg,x\nb.jpg,x\n")
    with pytest.raises(ValueError, match="same output"):
        start([str(tmp_path / "d.csv")], str(tmp_path / "o"), {}, tmp_path / "r2", 0)


def test_resume_after_sigkill_finishes_exactly_once(tmp_path, tiny_model):
    # Enough photos that a loaded machine cannot finish the run before the test finds workers.
    photos = _photos(tmp_path / "in", 120)
    out, run_dir = tmp_path / "out", tmp_path / "run"
    args = [str(tmp_path / "in"), "-o", str(out), "--run-dir", str(run_dir), "--mask"]
    args += ["-m", str(tiny_model), "--workers", "1"]
    for target in (5, 15):  # kill -9 twice, mid-run
        proc = _skucut(*args) if target == 5 else _skucut("--resume", str(run_dir))
        deadline = time.monotonic() + 120
        # (the engine has no workers for a moment while it starts or replaces its pool)
        while (
            (_done(run_dir) < target or not _children(proc.pid))
            and proc.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert proc.poll() is None, proc.stderr.read().decode()
        workers = _children(proc.pid)
        assert workers, "no worker processes found"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # the workers die with their engine: none is left to write beside the resumed run
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if _alive(w)], "orphaned worker processes"
    finished = _skucut("--resume", str(run_dir))
    assert finished.wait(300) == 0, finished.stderr.read().decode()
    _assert_complete(out, {p.stem + ".png" for p in photos}, run_dir)
    status = subprocess.run(
        [sys.executable, "-m", "skucut.cli", "batch", "status", str(run_dir)],
        capture_output=True,
        text=True,
    )
    assert "done: 120" in status.stdout and "failed: 0" in status.stdout


def test_a_killed_worker_loses_nothing(tmp_path, tiny_model):
    photos = _photos(tmp_path / "in", 40)
    out, run_dir = tmp_path / "out", tmp_path / "run"
    proc = _skucut(
        str(tmp_path / "in"), "-o", str(out), "--run-dir", str(run_dir), "--mask",
        "-m", str(tiny_model), "--workers", "2",
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while (_done(run_dir) < 5 or not _children(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    children = _children(proc.pid)
    assert children, "no worker processes found"
    os.kill(int(children[0]), signal.SIGKILL)
    assert proc.wait(300) == 0, proc.stderr.read().decode()
    _assert_complete(out, {p.stem + ".png" for p in photos}, run_dir)


def test_s3_round_trip_against_a_local_server(tmp_path, tiny_model, monkeypatch):
    moto_server = pytest.importorskip("moto.server")
    s3fs = pytest.importorskip("s3fs")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for key, value in {
            "SKUCUT_STORAGE_ENDPOINT": endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            monkeypatch.setenv(key, value)
        fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint})
        fs.mkdir("shop")
        for path in _photos(tmp_path / "in", 3):
            fs.put_file(str(path), f"shop/in/{path.name}")
        state = start(
            ["s3://shop/in"], "s3://shop/out", {"model": str(tiny_model)}, tmp_path / "r", 0
        )
        assert execute(state, "local", workers=1) == {"done": 3}
        fs.invalidate_cache()
        assert sorted(fs.ls("shop/out")) == [f"shop/out/p00{i}.png" for i in range(3)]
        with fs.open("shop/out/p001.png", "rb") as f:
            assert Image.open(f).mode == "RGBA"
    finally:
        server.stop()


def test_ray_engine_on_a_local_two_cpu_cluster(tmp_path, tiny_model):
    ray = pytest.importorskip("ray")
    photos = _photos(tmp_path / "in", 6)
    options = {"model": str(tiny_model), "mask": True}
    state = start([str(tmp_path / "in")], str(tmp_path / "out"), options, tmp_path / "run", 0)
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        assert execute(state, "ray", workers=2) == {"done": 6}
    finally:
        ray.shutdown()
    _assert_complete(tmp_path / "out", {p.stem + ".png" for p in photos}, tmp_path / "run")
    with sqlite3.connect(tmp_path / "run" / "state.sqlite") as con:
        reviews = con.execute("SELECT needs_review, reason FROM items").fetchall()
    assert {(n, r.split(":")[0]) for n, r in reviews} == {(1, "empty cutout")}  # via Ray too
    # The same run state resumes with the other engine (once this one let go): nothing to do.
    state.close()
    assert execute(RunState.open(tmp_path / "run"), "local", workers=1) == {"done": 6}
