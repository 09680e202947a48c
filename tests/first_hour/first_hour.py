"""A shop owner's first hour, replayed: the README's commands in order, each result checked.

    python tests/first_hour/first_hour.py [--repo PATH] [--work DIR] [--online] [--keep]

From a clean clone of ``--repo`` (default: this checkout's committed HEAD): the README's set-up
command (venv, install, the example photo), then the commands a shop uses on a folder of
photos, the Python API, ``skucut serve`` with the README's curl examples, and a catalogue run
interrupted with Ctrl+C, looked at and resumed. Prints one row per check with its time and
the total wall time; exits 1 if any check failed.

The README's ``pip install -e .`` needs PyPI for the dependencies. Without ``--online`` the
fresh venv borrows them from the running Python's environment (one .pth line) and installs
skucut itself with ``--no-deps``, so the script runs offline and in CI.

The commands are taken from the README itself (``commands()``), so a README that changes
changes what is replayed; a command whose result has no check here fails the run.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
FOREVER = ("--watch", "skucut serve")  # commands that run until stopped: replayed apart


def readme_blocks(readme: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)\n```", readme, flags=re.S)


def commands(readme: str) -> list[str]:
    """The shell commands of the README's bash blocks after the two set-up commands, one per
    line, without their comments."""
    lines = []
    for block in readme_blocks(readme, "bash")[2:]:
        for line in block.splitlines():
            command = re.split(r"\s+#\s", line, maxsplit=1)[0].strip()
            if command:
                lines.append(command)
    return lines


def setup_command(readme: str) -> str:
    return readme_blocks(readme, "bash")[0].strip()


def make_shop(folder: Path, n: int = 6, examples_dir: Path | None = None) -> None:
    """photo.jpg (the example cup, 450x300) and shop/ with n photos, as a shop has them."""
    examples_dir = examples_dir or folder / "examples"
    examples = sorted(examples_dir.glob("*.jpg"))
    Image.open(examples_dir / "coffee.jpg").resize((450, 300)).save(folder / "photo.jpg")
    (folder / "shop").mkdir(exist_ok=True)
    for i in range(n):
        photo = Image.open(examples[i % len(examples)]).convert("RGB")
        photo.thumbnail((420, 420))
        if i >= len(examples):  # a second shot of the same product
            photo = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        photo.save(folder / "shop" / f"item{i:02d}.jpg", quality=90)


# ---- checks: one per kind of README command; each returns a short note or raises ----------


def _image(path: Path) -> Image.Image:
    assert path.is_file(), f"{path.name} was not written"
    image = Image.open(path)
    image.load()
    return image


def _cutout(path: Path, size: tuple[int, int] | None = None) -> str:
    image = _image(path)
    assert image.mode == "RGBA", f"{path.name} is {image.mode}, not RGBA"
    alpha = np.asarray(image)[..., 3]
    assert alpha.max() == 255 and alpha.min() == 0, f"{path.name}: no cutout in it"
    assert size is None or image.size == size, f"{path.name} is {image.size}, not {size}"
    return f"{path.name} RGBA {image.size[0]}x{image.size[1]}"


def _outputs(folder: Path, ext: str, shop: Path) -> list[Path]:
    """One output per shop photo (the folder may hold others, e.g. the set-up's coffee.png)."""
    found = [folder / f"{p.stem}.{ext}" for p in sorted(shop.glob("*.jpg"))]
    missing = [p.name for p in found if not p.is_file()]
    assert not missing, f"{folder.name}/ lacks {missing}"
    return found


def check(command: str, cwd: Path) -> str:
    """What a README command must have produced, checked; a note for the table."""
    args = shlex.split(command)
    shop = cwd / "shop"
    if args[:2] == ["skucut", "remove"]:
        out = cwd / args[args.index("-o") + 1]
        if "--mask" in args:
            masks = _outputs(out, "png", shop)
            assert all(_image(p).mode == "L" for p in masks), "masks are not 8-bit grey"
            return f"{len(masks)} masks"
        if "white-main" in args:
            mains = _outputs(out, "jpg", shop)
            for p in mains:
                image = _image(p)
                assert image.size == (2000, 2000), f"{p.name} is {image.size}"
                corner = np.asarray(image)[:20, :20]
                assert corner.min() >= 250, f"{p.name}: corner not white"
            return f"{len(mains)} JPEGs 2000x2000 on white"
        if "--bg-color" in args:
            image = _image(out)
            assert image.format == "JPEG" and image.mode == "RGB", f"{out.name}: {image.mode}"
            assert np.asarray(image)[:10, :10].min() >= 245, f"{out.name}: corner not white"
            return f"{out.name} JPEG on white"
        if out.suffix == ".png":
            return _cutout(out, _image(cwd / args[2]).size)
        cutouts = _outputs(out, "png", shop)
        for p in cutouts:
            _cutout(p)
        return f"{len(cutouts)} cutouts"
    if args[:3] == ["skucut", "batch", "status"]:
        return "read"  # its content is checked around the interruption
    if args[:3] == ["skucut", "batch", "review"]:
        sheet = cwd / args[3] / "review.html"
        assert sheet.is_file() and "<html" in sheet.read_text()[:500].lower(), "no review.html"
        return f"review.html {sheet.stat().st_size // 1024} KB"
    if args[:2] == ["skucut", "batch"]:
        if "--resume" in args:
            out = (cwd / args[args.index("--resume") + 1]).parent
        else:
            out = cwd / args[args.index("-o") + 1]
        mains = _outputs(out, "jpg", shop)
        return f"{len(mains)} outputs"
    if args[:2] in (["skucut", "models"], ["skucut", "presets"]):
        return "listed"
    raise AssertionError(f"no check for: {command}")


class Table:
    def __init__(self):
        self.rows: list[tuple[str, bool, float, str]] = []
        self.started = time.perf_counter()

    def run(self, name: str, step: Callable[[], str]) -> bool:
        started = time.perf_counter()
        try:
            note, ok = step(), True
        except Exception as exc:  # a failed check is a row, and the replay goes on
            note, ok = f"{type(exc).__name__}: {exc}"[:300], False
        self.rows.append((name, ok, time.perf_counter() - started, note))
        print(
            f"{'ok ' if ok else 'FAIL'} {time.perf_counter() - started:6.1f} s  {name}: {note}",
            flush=True,
        )
        return ok

    def report(self) -> int:
        failed = [r for r in self.rows if not r[1]]
        total = time.perf_counter() - self.started
        print(
            f"\n{len(self.rows) - len(failed)} of {len(self.rows)} checks passed; wall time {total:.0f} s"
        )
        return 1 if failed else 0


def shell(command: str, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"exit {done.returncode}: {(done.stderr or done.stdout)[-400:]}"
    assert "Traceback" not in done.stderr, done.stderr[-400:]
    return done


def set_up(readme: str, clone: Path, online: bool) -> Callable[[], str]:
    def step() -> str:
        command = setup_command(readme)
        parts = command.split(" && ")
        assert parts[:3] == ["python3 -m venv .venv", ". .venv/bin/activate", "pip install -e ."], (
            parts
        )
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(clone))}
        if online:
            shell(command, clone, env, timeout=1800)
        else:
            shell(parts[0], clone, env)
            site = subprocess.run(
                [
                    clone / ".venv/bin/python",
                    "-c",
                    "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            # numpy, onnxruntime, OpenCV, FastAPI ... from this Python; skucut from the clone.
            (Path(site) / "first-hour-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
            # The venv's own old setuptools would shadow the borrowed one (no bdist_wheel).
            offline = (
                "pip uninstall -q -y setuptools; pip install -q --no-deps --no-build-isolation -e ."
            )
            shell(" && ".join([parts[1], offline, *parts[3:]]), clone, env)
        return _cutout(clone / "out" / "coffee.png", (600, 400))

    return step


def venv_env(clone: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SKUCUT_"))}
    env["PATH"] = f"{clone / '.venv' / 'bin'}:{env['PATH']}"
    env["VIRTUAL_ENV"] = str(clone / ".venv")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_curl(readme: str, clone: Path, env: dict, table: Table) -> None:
    # The API section's line, which names the port its curl examples use.
    serve_line = next(c for c in commands(readme) if c.startswith("skucut serve --port 8000"))
    curls = [c for c in commands(readme) if c.startswith("curl ")]
    port = free_port()
    server = subprocess.Popen(
        [*shlex.split(serve_line.replace("8000", str(port)))],
        cwd=clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def ready() -> str:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, f"serve exited: {server.stderr.read()[-400:]}"
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
                    if answer.status == 200:
                        return f"ready on port {port}"
            except OSError:
                time.sleep(0.5)
        raise AssertionError("not ready in 180 s")

    def page() -> str:
        with urllib.request.urlopen(base + "/", timeout=10) as answer:
            html = answer.read().decode()
        assert "<title>skucut" in html, "no web page at /"
        with urllib.request.urlopen(base + "/docs", timeout=10) as answer:
            docs = answer.read().decode()
        scripts = re.findall(r'(?:src|href)="([^"]+)"', docs)
        assert scripts and all(s.startswith("/") for s in scripts), f"/docs loads {scripts}"
        for url in scripts:
            with urllib.request.urlopen(base + url, timeout=10) as answer:
                assert answer.status == 200, url
        return f"page, /docs with {len(scripts)} local assets"

    try:
        if table.run(f"{serve_line} (port {port})", ready):
            table.run("GET / and /docs", page)
            for curl in curls:
                table.run(
                    curl, lambda curl=curl: check_curl(curl.replace("8000", str(port)), clone, env)
                )
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


def check_curl(command: str, clone: Path, env: dict) -> str:
    shell(command.replace("curl ", "curl -sS --fail-with-body ", 1), clone, env, timeout=300)
    out = clone / shlex.split(command)[shlex.split(command).index("-o") + 1]
    if out.suffix == ".zip":
        with zipfile.ZipFile(out) as archive:
            names = archive.namelist()
            masks = [n for n in names if n.endswith(".png")]
            assert len(masks) == 2, names
            assert all(Image.open(io.BytesIO(archive.read(n))).mode == "L" for n in masks)
        return f"{out.name}: {len(masks)} masks"
    image = _image(out)
    expected = {".jpg": "JPEG", ".webp": "WEBP", ".png": "PNG"}[out.suffix]
    assert image.format == expected, f"{out.name} is {image.format}"
    return f"{out.name} {image.format} {image.size[0]}x{image.size[1]}"


def _counts(run_dir: Path) -> dict[str, int]:
    with sqlite3.connect(run_dir / "state.sqlite", timeout=10) as con:
        return dict(con.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall())


def interrupted_batch(command: str, clone: Path, env: dict, table: Table) -> None:
    """The README's batch line, stopped by Ctrl+C once some photos are done."""
    out = clone / shlex.split(command)[shlex.split(command).index("-o") + 1]
    run_dir = out / ".skucut-run"

    def interrupt() -> str:
        engine = subprocess.Popen(
            shlex.split(command),
            cwd=clone,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            # As from a terminal: a background job of a script inherits SIGINT ignored, and
            # Python then never raises KeyboardInterrupt.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and engine.poll() is None:
            # Ctrl+C while the first photos are being cut, as an impatient owner would.
            if (run_dir / "state.sqlite").exists() and _counts(run_dir).get("running", 0):
                time.sleep(1)
                break
            time.sleep(0.2)
        assert engine.poll() is None, "the run ended before it could be interrupted"
        os.killpg(engine.pid, signal.SIGINT)  # Ctrl+C reaches the whole process group
        engine.wait(60)
        counts = _counts(run_dir)
        left = sum(v for k, v in counts.items() if k != "done")
        assert left > 0, f"nothing left to resume: {counts}"
        return f"stopped with {counts.get('done', 0)} done, {left} left (exit {engine.returncode})"

    def status_after() -> str:
        text = shell(f"skucut batch status {run_dir.relative_to(clone)}", clone, env).stdout
        assert "engine: none; continue with: skucut batch --resume" in text, text
        assert "  running:" not in text, text  # nothing runs after Ctrl+C
        return " ".join(
            line.strip() for line in text.splitlines() if ":" in line and line.startswith("  ")
        )

    table.run(f"{command}, then Ctrl+C", interrupt)
    table.run("skucut batch status (interrupted)", status_after)


def replay(readme: str, clone: Path, table: Table) -> None:
    env = venv_env(clone)
    make_shop(clone)
    lines = commands(readme)
    batch_started = False
    for command in lines:
        if command.startswith("curl ") or any(f in command for f in FOREVER):
            continue
        if command.startswith("skucut batch shop/") and not batch_started:
            batch_started = True
            interrupted_batch(command, clone, env, table)
            continue
        table.run(command, lambda c=command: (shell(c, clone, env), check(c, clone))[1])
    python = readme_blocks(readme, "python")[0]
    (clone / "cutout.png").unlink(missing_ok=True)  # written by a CLI line before
    table.run(
        "README's Python example",
        lambda: (
            shell(f"python - <<'EOF'\n{python}\nEOF", clone, env),
            _cutout(clone / "cutout.png"),
        )[1],
    )
    serve_and_curl(readme, clone, env, table)


def overlay(repo: Path, clone: Path) -> str:
    """Copy the repo's tracked and untracked (not ignored) files as they are on disk."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-co", "--exclude-standard", "-z"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    copied = 0
    for name in filter(None, listed):
        source = repo / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
            copied += 1
    return f"{copied} files"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=str(REPO), help="the repository to clone (its HEAD)")
    parser.add_argument("--work", help="folder for the clone (default: a temporary one)")
    parser.add_argument("--online", action="store_true", help="install dependencies from PyPI")
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    parser.add_argument(
        "--working-tree",
        action="store_true",
        help="lay the repo's uncommitted files over the clone (check before committing)",
    )
    args = parser.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix="first-hour-"))
    work.mkdir(parents=True, exist_ok=True)
    clone = work / "skucut"
    table = Table()
    try:
        ok = table.run(
            "git clone",
            lambda: (
                shell(
                    f"git clone -q {shlex.quote(args.repo)} {shlex.quote(str(clone))}",
                    work,
                    dict(os.environ),
                ),
                "clean clone of HEAD",
            )[1],
        )
        if ok and args.working_tree:
            ok = table.run("uncommitted files laid over", lambda: overlay(Path(args.repo), clone))
        readme = (clone / "README.md").read_text() if ok else ""
        if ok and table.run(
            "set-up command (README, first block)", set_up(readme, clone, args.online)
        ):
            replay(readme, clone, table)
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"checks": len(table.rows), "failed": [r[0] for r in table.rows if not r[1]]}))
    return table.report()


if __name__ == "__main__":
    sys.exit(main())
