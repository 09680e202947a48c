"""Command-line rough edges of the first hour, each as the user met it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import REPO, disc_image


def skucut(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "skucut.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def _photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        rgb, _ = disc_image(48, seed=i)
        paths.append(folder / f"p{i}.jpg")
        Image.fromarray(rgb).save(paths[-1])
    return paths


def summary(stderr: str) -> str:
    """The run's summary line (a line of review reasons may follow it)."""
    return next(line for line in stderr.splitlines() if " done, " in line)


def test_summary_counts_skipped_apart_and_speed_only_over_cut_images(tmp_path, tiny_model):
    src, out = tmp_path / "in", tmp_path / "out"
    _photos(src, 3)
    model = ["-m", str(tiny_model), "--mask"]
    first = skucut("remove", str(src), "-o", str(out), *model)
    assert first.returncode == 0, first.stderr
    assert summary(first.stderr).startswith("skucut: 3 done, 0 failed, ")
    assert summary(first.stderr).endswith("images/s)")
    (src / "bad.jpg").write_bytes(b"not an image")
    again = skucut("remove", str(src), "-o", str(out), "--skip-existing", *model)
    last = summary(again.stderr)
    # Skipped outputs are not "done", and a run that cut nothing has no speed to report.
    assert last == "skucut: 0 done, 3 skipped, 1 failed, 0 need review", last
    assert again.returncode == 1


def test_a_run_where_everything_failed_reports_no_speed(tmp_path, tiny_model):
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "a.jpg").write_bytes(b"not an image")
    (bad / "b.jpg").write_bytes(b"nor this")
    result = skucut("remove", str(bad), "-o", str(tmp_path / "out"), "-m", str(tiny_model))
    assert result.returncode == 1
    assert summary(result.stderr) == "skucut: 0 done, 2 failed, 0 need review"


def test_batch_refuses_limit_on_a_run_and_each_look_has_its_own_help(tmp_path):
    _photos(tmp_path / "in", 1)
    run = skucut("batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--limit", "1")
    assert run.returncode == 2 and "unrecognized arguments: --limit 1" in run.stderr
    assert not (tmp_path / "out").exists()  # refused before anything started
    status = skucut("batch", "status", "--help")
    assert status.returncode == 0 and status.stdout.startswith(
        "usage: skucut batch status [-h] RUN"
    )
    assert "--preset" not in status.stdout and "--limit" not in status.stdout
    review = skucut("batch", "review", "--help")
    assert review.stdout.startswith("usage: skucut batch review") and "--limit" in review.stdout
    whole = skucut("batch", "--help")
    assert whole.stdout.startswith("usage: skucut batch") and "--preset" in whole.stdout


def test_status_shows_an_interrupted_run_as_interrupted(tmp_path, tiny_model):
    """An engine that died with images in flight (Ctrl+C, kill -9): nothing is running."""
    run_dir, out = tmp_path / "run", tmp_path / "out"
    _photos(tmp_path / "in", 3)
    engine = (
        "import sys; from skucut.batch.run import start\n"
        "state = start([sys.argv[1]], sys.argv[2], {'model': sys.argv[3], 'mask': True}, "
        "__import__('pathlib').Path(sys.argv[4]), 0)\n"
        "state.mark_running([1, 2])\n"
        "import os; os._exit(1)  # dies without cleaning up, as a killed engine does\n"
    )
    died = subprocess.run(
        [
            sys.executable,
            "-c",
            engine,
            str(tmp_path / "in"),
            str(out),
            str(tiny_model),
            str(run_dir),
        ]
    )
    assert died.returncode == 1
    status = skucut("batch", "status", str(run_dir))
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert "  interrupted: 2" in lines and not any("running: " in line for line in lines)
    assert f"engine: none; continue with: skucut batch --resume {run_dir}" in lines
    resumed = skucut("batch", "--resume", str(run_dir))
    assert resumed.returncode == 0, resumed.stderr
    finished = skucut("batch", "status", str(run_dir)).stdout.splitlines()
    assert "  done: 3" in finished and "  interrupted: 0" in finished
    assert "engine: none (finished)" in finished


def test_mask_with_a_preset_is_refused_in_plain_words(tmp_path):
    photo = _photos(tmp_path / "in", 1)[0]
    result = skucut(
        "remove", str(photo), "-o", str(tmp_path / "o"), "--mask", "--preset", "white-main"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "skucut: error: mask gives the alpha channel only, so it cannot be combined with "
        "preset white-main; use mask alone, or leave it out"
    )


def test_serve_without_the_extra_names_a_command_that_installs_it():
    blocked = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "from skucut.cli import main; sys.exit(main(['serve']))\n"
    )
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True)
    assert result.returncode == 2
    # From a checkout, 'skucut[serve]' would look for skucut on the package index.
    assert f"pip install -e '{REPO}[serve]'" in result.stderr, result.stderr
    assert "uvicorn is missing" in result.stderr and len(result.stderr.splitlines()) == 1


def test_no_progress_bar_in_logs(tmp_path):
    """A command whose stderr is a file or a pipe (cron, CI, a log) prints no bar."""
    folder = tmp_path / "in"
    _photos(folder, 3)
    result = skucut("embed", str(folder), "-o", str(tmp_path / "v.npy"), "--no-cutout")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr and "it/s" not in result.stderr, result.stderr
    assert np.load(tmp_path / "v.npy").shape == (3, 1280)


def _test_command() -> str:
    readme = (REPO / "README.md").read_text()
    block = readme.split("**Run the tests**", 1)[1].split("```bash\n", 1)[1]
    return block.split("\n```", 1)[0].strip()


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert _test_command() in ci.splitlines()


def _fake_tools(bin_dir: Path, uid: int) -> Path:
    """id, sudo and apt-get stand-ins that log how apt-get was called; no chromium."""
    log = bin_dir / "calls.log"
    bin_dir.mkdir()
    tools = {
        "id": f'#!/bin/sh\n[ "$1" = -u ] && echo {uid} || echo "uid={uid}"\n',
        "sudo": f'#!/bin/sh\necho "sudo $*" >> {log}\nSUDO_DONE=1 exec "$@"\n',
        "apt-get": f'#!/bin/sh\necho "apt-get $* as={{$SUDO_DONE}}" >> {log}\n'
        f'[ "{uid}" = 0 ] || [ "$SUDO_DONE" = 1 ] || {{ echo "apt-get: not root" >&2; exit 100; }}\n',
    }
    for name, text in tools.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return log


def test_the_test_command_installs_chromium_as_root_and_as_a_user_with_sudo(tmp_path):
    prefix = _test_command().split(" && python3 -m venv", 1)[0]
    for uid in (0, 1000):
        bin_dir = tmp_path / f"bin{uid}"
        log = _fake_tools(bin_dir, uid)
        env = {"PATH": f"{bin_dir}:/usr/bin/env-only-missing", "HOME": str(tmp_path)}
        done = subprocess.run(
            ["/bin/sh", "-c", prefix], env=env, capture_output=True, text=True, cwd=tmp_path
        )
        assert done.returncode == 0, (uid, done.stderr)
        calls = log.read_text().splitlines()
        installs = [c for c in calls if c.startswith("apt-get install")]
        assert len(installs) == 1 and "chromium" in installs[0], calls
        assert any(c.startswith("sudo apt-get install") for c in calls) == (uid != 0), calls
    assert os.access("/bin/sh", os.X_OK)
