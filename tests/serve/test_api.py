"""The HTTP API against the real app and the real shipped model (httpx via TestClient)."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from skucut.serve import ServeSettings, create_app
from skucut.serve.limits import Admission, QueueFull
from tests.conftest import EXAMPLE, png_bytes
from tests.serve.conftest import until

PHOTO = EXAMPLE.read_bytes()


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(ServeSettings(max_upload_bytes=2_000_000))) as c:
        yield c


def _image(response) -> Image.Image:
    return Image.open(io.BytesIO(response.content))


def test_multipart_upload_returns_rgba_png_at_input_size(client):
    response = client.post("/v1/remove", files={"file": ("coffee.jpg", PHOTO, "image/jpeg")})
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = _image(response)
    assert image.mode == "RGBA" and image.size == Image.open(EXAMPLE).size
    alpha = np.asarray(image)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255  # both product and background found


def test_raw_body_and_accept_negotiation(client):
    response = client.post("/v1/remove", content=PHOTO, headers={"Accept": "image/webp"})
    assert response.headers["content-type"] == "image/webp" and _image(response).format == "WEBP"
    jpeg = client.post(
        "/v1/remove?bg_color=black", content=PHOTO, headers={"Accept": "image/jpeg,*/*"}
    )
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert np.asarray(_image(jpeg))[:5, :5].max() < 20  # flattened on black


def test_preset_and_options_as_form_fields_or_query(client):
    form = client.post(
        "/v1/remove",
        files={"file": ("c.jpg", PHOTO, "image/jpeg")},
        data={"preset": "white-main", "canvas": "500x400"},
    )
    assert form.status_code == 200 and form.headers["content-type"] == "image/jpeg"
    assert _image(form).size == (500, 400)
    mask = client.post("/v1/remove?mask=true", content=PHOTO)
    assert _image(mask).mode == "L" and _image(mask).size == Image.open(EXAMPLE).size


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not an image at all", 400, "invalid_image"),
        (PHOTO[: len(PHOTO) // 3], 400, "invalid_image"),  # truncated JPEG
        (png_bytes(Image.new("I;16", (8, 8)), "TIFF"), 200, None),  # 16-bit is fine
        (b"", 400, "no_image"),
    ],
)
def test_bad_input_is_a_json_4xx(client, body, status, code):
    response = client.post("/v1/remove", content=body)
    assert response.status_code == status
    if code:
        assert response.json()["error"] == code and response.json()["detail"]


def test_limits_answer_413(client):
    too_big = client.post("/v1/remove", content=b"\0" * 2_000_001)
    assert too_big.status_code == 413 and too_big.json()["error"] == "too_large"
    with TestClient(create_app(ServeSettings(max_pixels=10_000))) as small:
        response = small.post("/v1/remove", content=PHOTO)
    assert response.status_code == 413 and response.json()["error"] == "image_too_large"


def test_bad_options_are_422_with_the_reason(client):
    response = client.post("/v1/remove?shadow=hard", content=PHOTO)
    assert response.status_code == 422 and response.json()["error"] == "invalid_request"
    response = client.post("/v1/remove?preset=nope", content=PHOTO)
    assert response.status_code == 422 and "unknown preset" in response.json()["detail"]
    response = client.post("/v1/remove?model=nope", content=PHOTO)
    assert response.status_code == 404 and response.json()["error"] == "model_not_found"


def test_batch_answers_a_zip_and_lists_failures(client):
    files = [
        ("files", ("a.jpg", PHOTO, "image/jpeg")),
        ("files", ("a.jpg", PHOTO, "image/jpeg")),  # same name: must not overwrite
        ("files", ("bad.jpg", b"junk", "image/jpeg")),
    ]
    response = client.post("/v1/remove/batch?mask=true", files=files)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["a-2.png", "a.png", "errors.json", "report.json"]
    [failed] = json.loads(archive.read("errors.json"))
    assert failed["file"] == "bad.jpg" and failed["part"] == 3
    assert failed["error"] == "invalid_image" and failed["detail"]
    assert Image.open(io.BytesIO(archive.read("a.png"))).mode == "L"


def test_api_keys():
    with TestClient(create_app(ServeSettings(api_keys=frozenset({"s3cret"})))) as c:
        assert c.post("/v1/remove", content=PHOTO).status_code == 401
        assert c.post("/v1/remove", content=PHOTO, headers={"X-API-Key": "x"}).status_code == 403
        ok = c.post("/v1/remove", content=PHOTO, headers={"X-API-Key": "s3cret"})
        assert ok.status_code == 200
        assert c.get("/healthz").status_code == 200  # probes stay open


def test_info_endpoints_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    models = client.get("/v1/models").json()
    assert models["default"] in [m["name"] for m in models["models"]]
    tasks = {m["name"]: m["task"] for m in models["models"]}
    assert tasks[models["default"]] == "segmentation"
    assert tasks["skucut-sr-x2-v1"] == "super-resolution"
    assert "white-main" in client.get("/v1/presets").json()["presets"]
    assert "/v1/remove" in client.get("/openapi.json").json()["paths"]
    client.post("/v1/remove", content=b"junk")
    text = client.get("/metrics").text
    assert 'skucut_requests_total{route="/v1/remove",status="400"}' in text
    assert "skucut_request_seconds_bucket" in text and "skucut_in_flight" in text
    page = client.get("/")
    assert page.status_code == 200 and 'id="drop"' in page.text


def test_url_input_is_off_by_default_and_refuses_loopback(client):
    response = client.post("/v1/remove?url=http://127.0.0.1:9/x.jpg")
    assert response.status_code == 403 and response.json()["error"] == "url_disabled"
    with TestClient(create_app(ServeSettings(allow_url=True))) as c:
        for url in ("http://127.0.0.1:9/x.jpg", "http://169.254.169.254/", "http://[::1]/"):
            response = c.post(f"/v1/remove?url={url}")
            assert response.status_code == 403 and response.json()["error"] == "url_refused"


def test_admission_is_bounded():
    async def scenario():
        admission = Admission(concurrency=1, queue_size=1)
        first, second = admission.admit(60), admission.admit(60)  # one runs, one may wait
        with pytest.raises(QueueFull):
            admission.admit(60)
        assert admission.admitted == 2
        async with first:
            assert await first.run(lambda: 7) == 7
        async with second:
            pass
        assert admission.admitted == admission.running == 0

    asyncio.run(scenario())


def test_full_queue_answers_503_with_retry_after(held_render):
    gate, entered = held_render
    settings = ServeSettings(concurrency=1, queue_size=0)
    with TestClient(create_app(settings)) as c:
        first = threading.Thread(target=lambda: c.post("/v1/remove", content=PHOTO))
        first.start()
        assert until(lambda: entered)
        busy = c.post("/v1/remove", content=PHOTO)
        gate.set()
        first.join()
    assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
    assert busy.json()["error"] == "busy"


def test_slow_request_times_out_with_504(held_render):
    gate, _ = held_render
    with TestClient(create_app(ServeSettings(timeout_s=0.5))) as c:
        response = c.post("/v1/remove", content=PHOTO)
        gate.set()
    assert response.status_code == 504 and response.json()["error"] == "timeout"
