"""Fault test: a batch run killed with SIGKILL at random points, then resumed to the end.

    python bench/batch_fault.py [--n 500] [--kills 3] [--seed 0]

Part 1 kills the whole `skucut batch` process ``--kills`` times at random progress, resuming
each time; part 2 kills one worker process mid-run. Both must end with exactly N valid
outputs, matching checksums, and no temp files. Part 3 starts a second engine on a run folder
in use: it must be refused at once (the run folder is locked), and every image must be tried
exactly once. Prints one line per part.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def done(run_dir: Path) -> int:
    try:
        with sqlite3.connect(run_dir / "state.sqlite") as con:
            return con.execute("SELECT COUNT(*) FROM items WHERE status='done'").fetchone()[0]
    except sqlite3.Error:
        return 0


def batch(*args: str, stderr=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "skucut.cli", "batch", *args],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def workers_of(pid: int) -> list[int]:
    return [
        int(c) for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()
    ]


def kill_engine(proc: subprocess.Popen) -> None:
    """SIGKILL the engine and wait for its workers, which die with it and hold its run lock
    until they do."""
    workers = workers_of(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    while any(Path(f"/proc/{w}").exists() and not zombie(w) for w in workers):
        time.sleep(0.01)


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def attempts(run_dir: Path) -> int:
    with sqlite3.connect(run_dir / "state.sqlite") as con:
        return con.execute("SELECT SUM(attempts) FROM items").fetchone()[0]


def wait_for(run_dir: Path, target: int, proc: subprocess.Popen) -> None:
    while done(run_dir) < target and proc.poll() is None:
        time.sleep(0.02)


def verify(out: Path, run_dir: Path, n: int) -> str:
    files = [p for p in out.iterdir() if p.is_file()]
    temps = list(out.rglob("*.tmp"))
    with sqlite3.connect(run_dir / "state.sqlite") as con:
        rows = con.execute("SELECT status, output_uri, checksum FROM items").fetchall()
    bad = 0
    for status, uri, checksum in rows:
        ok = status == "done" and hashlib.sha256(Path(uri).read_bytes()).hexdigest() == checksum
        try:
            Image.open(uri).verify()
        except Exception:
            ok = False
        bad += not ok
    verdict = "PASS" if len(files) == n and not temps and bad == 0 else "FAIL"
    return f"{verdict}: {len(files)} outputs of {n}, {len(temps)} temp files, {bad} bad rows"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="skucut-fault-"))
    try:
        photos = root / "in"
        photos.mkdir()
        pixels = np.random.default_rng(0).integers(0, 255, (96, 128, 3), np.uint8)
        for i in range(args.n):
            Image.fromarray(np.roll(pixels, i, axis=1)).save(photos / f"p{i:04d}.jpg")

        out, run = root / "out1", root / "run1"
        common = ["--mask", "--workers", "2", "--refine", "none"]
        points = sorted(rng.sample(range(10, args.n - 10), args.kills))
        proc = batch(str(photos), "-o", str(out), "--run-dir", str(run), *common)
        for point in points:
            wait_for(run, point, proc)
            kill_engine(proc)
            proc = batch("--resume", str(run), "--workers", "2")
        proc.wait()
        print(f"process killed at {points}: {verify(out, run, args.n)}")

        out, run = root / "out2", root / "run2"
        proc = batch(str(photos), "-o", str(out), "--run-dir", str(run), *common)
        wait_for(run, args.n // 3, proc)
        os.kill(workers_of(proc.pid)[0], signal.SIGKILL)
        proc.wait()
        print(f"one worker killed at {args.n // 3}: {verify(out, run, args.n)}")

        out, run = root / "out3", root / "run3"
        proc = batch(str(photos), "-o", str(out), "--run-dir", str(run), *common)
        wait_for(run, 5, proc)
        second = batch("--resume", str(run), "--workers", "2", stderr=subprocess.PIPE)
        refused = second.wait() == 2 and f"process {proc.pid}" in second.stderr.read().decode()
        proc.wait()
        tried, check = attempts(run), verify(out, run, args.n)
        ok = refused and tried == args.n and check.startswith("PASS")
        print(
            f"second engine on a live run {'refused' if refused else 'NOT refused'}, {tried} "
            f"attempts for {args.n} images: {'PASS' if ok else 'FAIL'} ({check})"
        )
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
