"""Fuzz: hostile image files through `skucut remove` and `skucut.remove()`.

Every input either gives a valid output or a one-line error; nothing else is written, nothing
is a traceback, and valid images always work. (bench/fuzz.py runs the same with 10,000+.)
"""

from __future__ import annotations

import re

from PIL import Image

import skucut
from tests.fuzz_inputs import fuzz_input
from tests.integration.test_cli import skucut as run_cli

N = 60


def test_fuzz_through_the_cli(tmp_path, tiny_model):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    kinds = {}
    for k in range(N):
        name, data, kind = fuzz_input(k)
        (src / name).write_bytes(data)
        kinds[name] = kind
    result = run_cli("remove", str(src), "-o", str(out), "-m", str(tiny_model), "--mask")
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    failed = set(re.findall(r"skucut: error: .*?/(f\d{5}-\w+\.\w+): ", stderr))
    summary = [
        line
        for line in stderr.splitlines()
        if not line.startswith(("skucut: error: /", "skucut: why: "))  # per file; the reasons
    ]
    assert len(summary) == 1
    assert summary[0].startswith(f"skucut: {N - len(failed)} done, {len(failed)} failed, ")
    assert result.returncode == 1
    for name, kind in kinds.items():
        written = out / (name.rsplit(".", 1)[0] + ".png")
        assert written.exists() != (name in failed), name
        if kind in ("valid", "huge", "other"):
            assert (name in failed) == (kind != "valid"), name
        if written.exists():
            assert Image.open(written).mode == "L"
    assert not list(out.rglob("*.tmp"))


def test_fuzz_through_the_python_api(tiny_model):
    outcomes = {}
    for k in range(N):
        name, data, kind = fuzz_input(k)
        try:
            image = skucut.remove(data, model=str(tiny_model), mask=True)
            assert image.mode == "L"
            outcomes[name] = "ok"
        except skucut.SkucutError as exc:  # InvalidImage, UnsupportedImage, ImageTooLarge
            assert str(exc) and "\n" not in str(exc)
            outcomes[name] = type(exc).__name__
        if kind == "valid":
            assert outcomes[name] == "ok", name
        if kind == "huge":
            assert outcomes[name] == "ImageTooLarge", name
