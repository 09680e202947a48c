"""skucut remove --watch: a hot folder, run as a user runs it (a real subprocess, Ctrl+C)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time

from PIL import Image

from tests.conftest import disc_image, png_bytes
from tests.serve.conftest import until

SETTLE = 1.5  # seconds a file must stay unchanged; the slow writer below pauses 0.2 s


def _photo(seed: int, fmt: str = "PNG") -> bytes:
    rgb, _ = disc_image(64, seed=seed)
    return png_bytes(Image.fromarray(rgb), fmt, **({"quality": 95} if fmt == "JPEG" else {}))


class Watcher:
    """``skucut remove --watch`` in the background; its stderr lines as they come."""

    def __init__(self, *args: str):
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skucut.cli", "remove", *args],
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def said(self, words: str) -> bool:
        return any(words in line for line in self.lines)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(60)
        until(lambda: self.lines and self.lines[-1].startswith("skucut: "), 5)
        return code


def test_new_photos_are_processed_as_they_arrive(tmp_path, tiny_model):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "old.png").write_bytes(_photo(0))
    out.mkdir()
    (out / "old.png").write_bytes(b"made by an earlier run")  # newer than its photo: done
    watcher = Watcher(
        "--watch", str(inbox), "-o", str(out), "-m", str(tiny_model), "--settle", str(SETTLE)
    )
    try:
        assert until(lambda: watcher.said("watching"), 120), watcher.lines
        (inbox / "a.png").write_bytes(_photo(1))
        # A photo still being copied: it grows every 0.2 s for about 2.4 s.
        data, partial = _photo(2, "JPEG"), inbox / "sub" / "b.jpg"
        with partial.open("wb") as f:
            for start in range(0, len(data), len(data) // 12 + 1):
                f.write(data[start : start + len(data) // 12 + 1])
                f.flush()
                time.sleep(0.2)
                assert not (out / "sub" / "b.png").exists(), "taken while being written"
        # Written under a hidden name, then renamed in.
        (inbox / ".c.png.tmp").write_bytes(_photo(3))
        time.sleep(SETTLE + 0.5)
        assert not list(out.glob("*c*"))
        os.replace(inbox / ".c.png.tmp", inbox / "c.png")
        (inbox / "notes.txt").write_text("not a photo")
        done = [out / "a.png", out / "sub" / "b.png", out / "c.png"]
        assert until(lambda: all(p.exists() for p in done), 120), watcher.lines
    finally:
        code = watcher.stop()
    assert code == 0, watcher.lines
    assert watcher.lines[-1].startswith("skucut: 3 done, 0 failed, "), watcher.lines
    assert (out / "old.png").read_bytes() == b"made by an earlier run"
    for path in done:
        image = Image.open(io.BytesIO(path.read_bytes()))
        assert image.mode == "RGBA" and image.size == (64, 64)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "a.png",
        "c.png",
        "old.png",
        "sub/b.png",
    ]


def test_a_bad_photo_is_reported_once_and_the_watch_goes_on(tmp_path, tiny_model):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "broken.jpg").write_bytes(b"not an image at all")
    watcher = Watcher("--watch", str(inbox), "-o", str(out), "-m", str(tiny_model),
                      "--settle", "0.3")  # fmt: skip
    try:
        assert until(lambda: watcher.said("broken.jpg"), 120), watcher.lines
        (inbox / "ok.png").write_bytes(_photo(4))
        assert until(lambda: (out / "ok.png").exists(), 120), watcher.lines
    finally:
        code = watcher.stop()
    assert code == 1
    assert sum("broken.jpg" in line for line in watcher.lines) == 1  # not retried every poll
    assert watcher.lines[-1].startswith("skucut: 1 done, 1 failed, ")


def test_watch_refuses_inputs_and_its_own_folder_as_output(tmp_path):
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "skucut.cli", "remove", *a], capture_output=True, timeout=120
    )
    both = run("x.jpg", "--watch", str(tmp_path), "-o", str(tmp_path / "o"))
    assert both.returncode == 2 and b"not both" in both.stderr
    same = run("--watch", str(tmp_path), "-o", str(tmp_path))
    assert same.returncode == 2 and b"must not be the watched folder" in same.stderr
