"""Issue 16 over HTTP: every result says how sure the model was; the metrics show it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

import skucut

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from skucut.serve import ServeSettings, create_app
from tests.conftest import EXAMPLE

PHOTO = EXAMPLE.read_bytes()
BLANK = b"P6 64 64 255 " + bytes(64 * 64 * 3)  # not an accepted format: a 400 (checked below)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(ServeSettings())) as c:
        yield c


def test_a_result_carries_its_confidence_and_review(client):
    response = client.post("/v1/remove", files={"file": ("coffee.jpg", PHOTO, "image/jpeg")})
    assert response.status_code == 200
    _, review = skucut.remove(PHOTO, return_info=True)  # the same, from the Python API
    assert float(response.headers["x-skucut-confidence"]) == pytest.approx(
        review.confidence, abs=1e-4
    )
    assert response.headers["x-skucut-needs-review"] == str(review.needs_review).lower()
    metrics = client.get("/metrics").text
    assert "skucut_result_confidence_count 1.0" in metrics


def test_the_batch_zip_reports_each_result(client):
    files = [("files", ("a.jpg", PHOTO, "image/jpeg")), ("files", ("b.ppm", BLANK, "image/x"))]
    archive = zipfile.ZipFile(io.BytesIO(client.post("/v1/remove/batch", files=files).content))
    report = json.loads(archive.read("report.json"))
    assert [(r["file"], r["output"]) for r in report] == [("a.jpg", "a.png")]
    assert set(report[0]) == {"file", "output", "confidence", "needs_review", "reason", "reasons"}
    assert [e["file"] for e in json.loads(archive.read("errors.json"))] == ["b.ppm"]
