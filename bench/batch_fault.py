"""Fault test: a batch run killed with SIGKILL at random points, then resumed to the end.

    python bench/batch_fault.py [--n 500] [--kills 3] [--seed 0]

Part 1 kills the whole `skucut batch` process ``--kills`` times at random progress, resuming
each time; part 2 kills one worker process mid-run. Both must end with exactly N valid
outputs, matching checksums, and no temp files. Prints one line per part.
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


def batch(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "skucut.cli", "batch", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


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
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc = batch("--resume", str(run), "--workers", "2")
        proc.wait()
        print(f"process killed at {points}: {verify(out, run, args.n)}")

        out, run = root / "out2", root / "run2"
        proc = batch(str(photos), "-o", str(out), "--run-dir", str(run), *common)
        wait_for(run, args.n // 3, proc)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        os.kill(int(children[0]), signal.SIGKILL)
        proc.wait()
        print(f"one worker killed at {args.n // 3}: {verify(out, run, args.n)}")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
