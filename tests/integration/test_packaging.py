"""An installed wheel removes a background out of the box: it carries the offered models.

The wheel is built from a copy of the checkout, installed into a fresh venv outside it, and run
from a folder that is not the checkout, so nothing can be found through the source tree. The
venv borrows only the third-party dependencies of the test environment (a .pth line), so the
test needs no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from skucut.catalog import DEFAULT_MODEL, OFFERED_MODELS, SHIPPED_DIR
from tests.conftest import EXAMPLE, REPO


def _build(tmp_path: Path) -> tuple[Path, Path]:
    """Build the sdist and the wheel from a copy of the checkout; their paths."""
    pytest.importorskip("setuptools", minversion="68")
    src = tmp_path / "checkout"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "models", src / "models")
    out = tmp_path / "dist"
    built = []
    for hook in ("build_sdist", "build_wheel"):  # one process each: setuptools keeps state
        script = f"import sys; from setuptools import build_meta as b; print('BUILT', b.{hook}(sys.argv[1]))"
        done = subprocess.run(
            [sys.executable, "-c", script, str(out)], cwd=src, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-2000:]
        built.append(done.stdout.split("BUILT ")[-1].strip())
    sdist, wheel = built
    return out / sdist, out / wheel


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    return _build(tmp_path_factory.mktemp("build"))


def test_wheel_and_sdist_carry_the_offered_models_only(built):
    sdist, wheel = built
    with zipfile.ZipFile(wheel) as whl, tarfile.open(sdist) as tar:
        packed = {n for n in whl.namelist() if n.startswith("skucut/_models/")}
        in_sdist = {n.partition("/")[2] for n in tar.getnames()}
    for name in OFFERED_MODELS:
        assert f"skucut/_models/{name}/model.onnx" in packed
        assert f"skucut/_models/{name}/card.json" in packed
        assert f"models/{name}/model.onnx" in in_sdist
    retired = {d.name for d in SHIPPED_DIR.iterdir() if d.is_dir()} - set(OFFERED_MODELS)
    assert not any(f"/{name}/" in n for n in packed for name in retired)
    assert not any(n.endswith("weights.pt") for n in packed | in_sdist)  # training files stay
    assert wheel.stat().st_size < 20e6


def test_installed_wheel_removes_the_example_photo(built, tmp_path):
    _, wheel = built
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    # numpy, onnxruntime, OpenCV ... from this environment; skucut itself only from the wheel.
    (Path(site) / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = tmp_path / "shop"  # not the checkout: no models/ beside it
    work.mkdir()
    shutil.copy(EXAMPLE, work / "coffee.jpg")
    where = subprocess.run(
        [python, "-c", "import skucut.catalog as c; print(c.__file__); print(c.model_dirs())"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    assert str(REPO) not in where.stdout  # the models come from the installed package

    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [venv / "bin" / "skucut", "remove", "coffee.jpg", "-o", "out/", "--mask"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    mask = np.asarray(Image.open(work / "out" / "coffee.png"))
    assert mask.shape == (400, 600)
    assert mask[120:200, 230:360].mean() > 200  # inside the cup
    assert mask[:30, :30].mean() < 60 and mask[-30:, -30:].mean() < 60  # table corners
    listed = subprocess.run(
        [venv / "bin" / "skucut", "models"], cwd=work, capture_output=True, text=True, env=env
    )
    assert listed.returncode == 0 and DEFAULT_MODEL in listed.stdout
