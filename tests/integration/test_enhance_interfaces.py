"""--enhance in every interface (Python, CLI, HTTP, batch) with the shipped default model: a
warm, dim studio photo is corrected and says so; a bad value is one clear error."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import skucut
from tests.unit.test_enhance import with_cast


def bottle_photo() -> np.ndarray:
    """A shaded blue bottle on a light studio backdrop, under a 3000 K light, 0.7 stops dim."""
    h = w = 320
    yy, xx = np.mgrid[:h, :w]
    rgb = np.full((h, w, 3), 238.0)
    shape = ((abs(xx - 160) < 55) & (yy > 110) & (yy < 290)) | (
        (abs(xx - 160) < 18) & (yy > 50) & (yy <= 110)
    )
    shade = 0.5 + 0.6 * np.cos((xx - 160) / 60 * 1.4)[..., None]
    rgb = np.where(shape[..., None], np.array([40.0, 60, 170]) * shade, rgb)
    rgb = cv2.GaussianBlur(rgb.astype(np.uint8), (3, 3), 0)
    return with_cast(rgb, 3000, -0.7)


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("enhance") / "bottle.png"
    Image.fromarray(bottle_photo()).save(path)
    return path


def _is_warm_correction(report: dict) -> bool:
    return report["changed"] and report["illuminant_k"] < 3600 and report["exposure_ev"] > 0.3


def test_python(photo_file):
    image, info = skucut.remove(photo_file, enhance="auto", return_info=True)
    assert _is_warm_correction(info.enhancement.as_dict()), info.enhancement
    plain = np.asarray(skucut.remove(photo_file)).astype(float)
    image = np.asarray(image).astype(float)
    body = np.zeros(image.shape[:2], bool)
    body[130:270, 120:200] = True  # the bottle's body, however sure the model was of it
    opaque = body & (image[..., 3] > 0) & (plain[..., 3] > 0)
    assert opaque.sum() > 1000

    # The warm cast leaves the product: far less red for its blue than without --enhance.
    def red_for_blue(rgba):
        return rgba[opaque, 0].mean() / rgba[opaque, 2].mean()

    assert red_for_blue(image) < 0.7 * red_for_blue(plain)
    _, info = skucut.remove(photo_file, return_info=True)
    assert info.enhancement is None  # off by default
    with pytest.raises(ValueError, match="unknown enhance 'sepia'"):
        skucut.remove(photo_file, enhance="sepia")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "skucut.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_cli(photo_file, tmp_path):
    out = tmp_path / "out.png"
    done = _cli("remove", str(photo_file), "-o", str(out), "--enhance", "auto")
    assert done.returncode == 0, done.stderr
    assert "enhance: 1 changed, 0 left alone" in done.stderr
    bad = _cli("remove", str(photo_file), "-o", str(tmp_path / "x.png"), "--enhance", "wb,glow")
    assert bad.returncode == 2 and not (tmp_path / "x.png").exists()
    assert bad.stderr.strip().splitlines() == [
        "skucut: error: unknown enhance 'wb,glow' (glow); choose auto, off, or a comma list "
        "of wb, exposure, denoise, sharpen"
    ]


def test_http(photo_file):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from skucut.serve import ServeSettings, create_app

    with TestClient(create_app(ServeSettings())) as client:
        files = {"file": ("bottle.png", photo_file.read_bytes(), "image/png")}
        answer = client.post("/v1/remove", files=files, data={"enhance": "auto"})
        assert answer.status_code == 200, answer.text
        assert _is_warm_correction(json.loads(answer.headers["X-Skucut-Enhance"]))
        answer = client.post("/v1/remove", files=files)
        assert "X-Skucut-Enhance" not in answer.headers
        answer = client.post("/v1/remove?enhance=sharper", files=files)
        assert answer.status_code == 422 and "unknown enhance" in answer.json()["detail"]
        batch = client.post(
            "/v1/remove/batch", files={"files": files["file"]}, data={"enhance": "auto"}
        )
        with zipfile.ZipFile(io.BytesIO(batch.content)) as archive:
            report = json.loads(archive.read("report.json"))
        assert _is_warm_correction(report[0]["enhance"])


def test_batch(photo_file, tmp_path):
    from skucut.batch.run import execute, start

    state = start([str(photo_file)], str(tmp_path / "out"), {"enhance": "auto"},
                  tmp_path / "run", retries=0)  # fmt: skip
    counts = execute(state, "local", 1)
    assert counts == {"done": 1}
    rows = list(csv.DictReader((tmp_path / "run" / "enhance.csv").open()))
    assert len(rows) == 1 and rows[0]["changed"] == "True"
    assert 2500 < float(rows[0]["illuminant_k"]) < 3600 and float(rows[0]["exposure_ev"]) > 0.3
    state.close()
    bad = _cli("batch", str(photo_file), "-o", str(tmp_path / "o2"), "--enhance", "x")
    assert bad.returncode == 2 and "unknown enhance 'x'" in bad.stderr
    assert not (tmp_path / "o2").exists()
