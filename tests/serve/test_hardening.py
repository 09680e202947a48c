"""Issue 17, HTTP service: no tracebacks, no way past the limits (one test per item)."""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import socket
import threading
import time
import zipfile
from urllib.parse import urlsplit

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

import skucut.pipeline as pipeline
import skucut.serve.app as app_module
from skucut.catalog import SHIPPED_DIR
from skucut.cli import main
from skucut.serve import ServeSettings, create_app
from tests.conftest import EXAMPLE
from tests.serve.conftest import until
from tests.serve.live import live_server

PHOTO = EXAMPLE.read_bytes()


def _error(response, status: int, code: str) -> dict:
    """The documented JSON error body, with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == code and body["detail"] and "Traceback" not in response.text
    return body


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(ServeSettings(allow_url=True, timeout_s=30))) as c:
        yield c


@pytest.fixture(scope="module")
def broken_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "broken.onnx"
    path.write_bytes(b"\x08\x07 not a protobuf" * 50)
    return path


# Item 10: every error is the documented JSON with the right 4xx.
@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("margin=inf", 422, "invalid_option"),
        ("margin=1e12", 422, "invalid_option"),
        ("trim=true&margin=1e12", 422, "invalid_option"),
        ("model=BROKEN", 404, "model_not_found"),
        ("model=skucut-sr-x2-v1", 404, "model_not_found"),
        ("url=http://example.com:99999/x.jpg", 400, "url_refused"),
        ("url=http://[::1/x.jpg", 400, "url_refused"),
    ],
)
def test_bad_requests_are_json_4xx(client, broken_model, query, status, code):
    query = query.replace("BROKEN", str(broken_model))
    _error(client.post(f"/v1/remove?{query}", content=PHOTO), status, code)


def test_unexpected_error_is_a_json_500_and_the_connection_stays_open(monkeypatch):
    def explode(*args):
        raise RuntimeError("secret detail /srv/internal/path")

    monkeypatch.setattr(app_module, "render", explode)
    with live_server(create_app(ServeSettings())) as url:
        connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port)
        connection.request("POST", "/v1/remove", body=PHOTO)
        first = connection.getresponse()
        body, socket_used = first.read(), connection.sock
        assert first.status == 500 and first.getheader("content-type") == "application/json"
        assert json.loads(body) == {
            "error": "internal",
            "detail": "unexpected server error (logged)",
        }
        assert b"secret" not in body and first.getheader("connection") != "close"
        connection.request("GET", "/healthz")  # the same keep-alive connection answers
        second = connection.getresponse()
        assert second.status == 200 and json.loads(second.read()) == {"status": "ok"}
        assert connection.sock is socket_used
        connection.close()


def test_a_broken_or_wrong_model_stops_the_server_start_in_one_line(broken_model, capsys):
    assert main(["serve", "--models", str(broken_model), "--port", "1"]) == 4
    assert main(["serve", "--models", "skucut-sr-x2-v1", "--port", "1"]) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("skucut: error:") == 2
    assert "super-resolution" in err


# Item 12: no way past the API key.
def test_api_keys_cannot_be_bypassed(monkeypatch, capsys):
    monkeypatch.setenv("SKUCUT_API_KEYS", "k3y,")
    with TestClient(create_app(ServeSettings.from_env())) as c:
        _error(c.post("/v1/remove", content=PHOTO, headers={"X-API-Key": ""}), 401, "unauthorized")
        _error(c.post("/v1/remove", content=PHOTO), 401, "unauthorized")
        non_ascii = {"X-API-Key": "k3y\u00e9".encode()}
        _error(c.post("/v1/remove", content=PHOTO, headers=non_ascii), 403, "forbidden")
        # The key is checked before the options: no 422 (nor any other hint) without it.
        _error(c.post("/v1/remove?shadow=hard&margin=inf"), 401, "unauthorized")
        _error(c.post("/v1/remove/batch?fill=9", headers={"X-API-Key": "x"}), 403, "forbidden")
        ok = c.post("/v1/remove?shadow=hard", headers={"X-API-Key": "k3y"})
        _error(ok, 422, "invalid_request")  # the right key gets as far as the options
    with pytest.raises(ValueError, match="must not be empty"):
        ServeSettings(api_keys=frozenset({"a", ""}))
    monkeypatch.setenv("SKUCUT_API_KEYS", " , ")
    with pytest.raises(ValueError, match="holds no key"):
        ServeSettings.from_env()
    monkeypatch.delenv("SKUCUT_API_KEYS")
    assert main(["serve", "--api-key", "", "--port", "1"]) == 2
    assert "API key must not be empty" in capsys.readouterr().err


# Item 13: options cannot blow up memory or time, and a timed-out job gives its slot back.
def test_geometry_options_are_refused_before_any_work(client):
    started = time.monotonic()
    body = _error(
        client.post("/v1/remove?trim=true&margin=5000", content=PHOTO), 413, "image_too_large"
    )
    assert "limit" in body["detail"]
    _error(
        client.post("/v1/remove?canvas=10000x10000&shadow=drop", content=PHOTO),
        422,
        "invalid_option",
    )
    _error(client.post("/v1/remove?margin=50000", content=PHOTO), 422, "invalid_option")
    assert time.monotonic() - started < 20  # was minutes (or an allocation of 161 GB)


def test_a_timed_out_job_stops_and_frees_its_slot(monkeypatch):
    real_decode, rendered = app_module.decode_image, []

    def slow_decode(*args):
        time.sleep(1.0)  # past the 0.5 s deadline
        return real_decode(*args)

    monkeypatch.setattr(app_module, "decode_image", slow_decode)
    monkeypatch.setattr(app_module, "render", lambda *args: rendered.append(1))
    settings = ServeSettings(timeout_s=0.5, concurrency=1)
    with TestClient(create_app(settings)) as c:
        body = _error(c.post("/v1/remove", content=PHOTO), 504, "timeout")
        assert "stops at its next step" in body["detail"]
        admission = c.app.state.admission
        deadline = time.monotonic() + 5
        while admission.admitted and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (admission.admitted, admission.running) == (0, 0)
    assert rendered == []  # the job stopped after decoding instead of working on


def test_large_canvases_run_one_at_a_time(held_render):
    gate, entered = held_render
    statuses = []

    def post(query: str) -> threading.Thread:
        thread = threading.Thread(target=lambda: statuses.append(c.post(query, content=PHOTO)))
        thread.start()
        return thread

    with TestClient(create_app(ServeSettings(concurrency=2))) as c:
        admission = c.app.state.admission
        heavy = [post("/v1/remove?canvas=4000x4000&format=jpg") for _ in range(2)]
        assert until(lambda: entered)
        light = post("/v1/remove?canvas=600x600&format=jpg")
        assert until(lambda: len(entered) == 2)
        time.sleep(0.3)
        # One 16 MP canvas and the light job run; the second large canvas waits for the first.
        assert entered == [(4000, 4000), (600, 600)] and admission.running == 2
        assert admission.waiting == 1
        gate.set()
        for thread in (*heavy, light):
            thread.join(60)
    assert [r.status_code for r in statuses] == [200, 200, 200]


# Item 14: only the models the server was started with; no file-existence oracle.
def test_only_served_models_and_no_existence_oracle(client):
    shipped = SHIPPED_DIR / "skucut-unet-v1" / "model.onnx"
    names = [str(shipped), "/no/such/model.onnx", "../models/skucut-unet-v1/model.onnx"]
    loaded = len(pipeline._SEGMENTERS)
    details = set()
    for name in names:
        body = _error(
            client.post("/v1/remove", params={"model": name}, content=PHOTO), 404, "model_not_found"
        )
        details.add(body["detail"].replace(repr(name), "NAME"))
    assert len(details) == 1 and "not served" in details.pop()  # same answer, file or not
    assert len(pipeline._SEGMENTERS) == loaded


def test_a_models_list_is_all_that_is_served():
    with TestClient(create_app(ServeSettings(models=("skucut-fast-v1",)))) as c:
        listed = c.get("/v1/models").json()
        assert listed["default"] == "skucut-fast-v1"
        segmenters = [m["name"] for m in listed["models"] if m["task"] == "segmentation"]
        assert segmenters == ["skucut-fast-v1"]
        body = _error(
            c.post("/v1/remove?model=skucut-quality-v1", content=PHOTO), 404, "model_not_found"
        )
        assert "skucut-fast-v1" in body["detail"]
        assert c.post("/v1/remove?mask=true", content=PHOTO).status_code == 200


# Item 15: admission before the body is read; bodies and backgrounds decoded in work slots.
def _raw_post(url: str, declared: int, sent: bytes) -> socket.socket:
    """A POST that declares ``declared`` body bytes and sends only ``sent`` of them."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    head = f"POST /v1/remove HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n\r\n"
    sock.sendall(head.encode() + sent)
    return sock


def test_a_full_server_refuses_before_reading_the_body(held_render):
    gate, entered = held_render
    settings = ServeSettings(concurrency=1, queue_size=0)
    with live_server(create_app(settings)) as url:
        first = threading.Thread(target=lambda: http_post(url, PHOTO))
        first.start()
        assert until(lambda: entered)
        sock = _raw_post(url, 20_000_000, b"\0" * 1000)  # 20 MB announced, 1 kB sent
        sock.settimeout(10)  # the old server waited for the other 20 MB first
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        body = json.loads(answer.read())
        sock.close()
        gate.set()
        first.join()
    assert answer.status == 503 and answer.getheader("retry-after") == "2"
    assert body["error"] == "busy"


def test_a_slow_upload_holds_no_work_slot():
    settings = ServeSettings(concurrency=1, queue_size=1, timeout_s=30)
    with live_server(create_app(settings)) as url:
        stalled = _raw_post(url, 1_000_000, b"\0" * 100)  # never finishes its body
        time.sleep(0.3)
        status, _ = http_post(url + "?mask=true", PHOTO)
        stalled.close()
    assert status == 200


def test_a_background_upload_is_decoded_in_a_work_slot(monkeypatch):
    real, seen = app_module.decode_image, []

    def spying_decode(*args):
        try:
            asyncio.get_running_loop()
            seen.append(("on the event loop", admission.running))
        except RuntimeError:
            seen.append(("in a worker thread", admission.running))
        return real(*args)

    monkeypatch.setattr(app_module, "decode_image", spying_decode)
    image, junk = ("a.jpg", PHOTO, "image/jpeg"), ("b.jpg", b"junk", "image/jpeg")
    with TestClient(create_app(ServeSettings())) as c:
        admission = c.app.state.admission
        response = c.post("/v1/remove?format=jpg", files={"file": image, "bg_file": image})
        batch = c.post("/v1/remove/batch", files=[("files", image), ("bg_file", junk)])
    assert response.status_code == 200
    assert seen[:2] == [("in a worker thread", 1)] * 2  # the image, then the background
    body = _error(batch, 400, "invalid_image")  # a bad background fails the whole batch
    assert body["detail"].startswith("background: ")


def test_a_chunked_body_over_the_limit_is_cut_off():
    def chunks():
        for _ in range(100):
            yield b"\0" * 100_000

    with TestClient(create_app(ServeSettings(max_upload_bytes=1_000_000))) as c:
        _error(c.post("/v1/remove", content=chunks()), 413, "too_large")
        _error(c.post("/v1/remove/batch", content=chunks()), 413, "too_large")


# Item 18: ZIP entry names, repeated failures, parts that are not files.
def _multipart(parts: list[tuple[str | None, bytes]], field: str = "files") -> dict:
    """A multipart body by hand: a None filename makes a text part (httpx also sends a file
    named "" that way), "" a file part with filename=""."""
    body = b""
    for filename, data in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--B\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"
    return {
        "content": body + b"--B--\r\n",
        "headers": {"content-type": "multipart/form-data; boundary=B"},
    }


def test_batch_names_are_safe_and_every_failure_is_reported(client):
    parts = [
        ("..\\..\\x.png", PHOTO),
        ("../../etc/y.jpg", PHOTO),
        ("C:\\Users\\z.jpg", PHOTO),
        ("", PHOTO),
        ("bad.jpg", b"junk"),
        ("bad.jpg", b"more junk"),
        (None, PHOTO),
    ]
    response = client.post("/v1/remove/batch?mask=true", **_multipart(parts))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [
        "errors.json",
        "image-4.png",
        "report.json",
        "x.png",
        "y.png",
        "z.png",
    ]
    errors = json.loads(archive.read("errors.json"))
    assert [(e["file"], e["part"], e["error"]) for e in errors] == [
        ("bad.jpg", 5, "invalid_image"),
        ("bad.jpg", 6, "invalid_image"),
        ("", 7, "not_a_file"),
    ]


def test_a_file_part_without_a_filename_is_reported(client):
    response = client.post("/v1/remove", **_multipart([(None, PHOTO)], field="file"))
    _error(response, 400, "not_a_file")


def http_post(url: str, body: bytes) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    path = parts.path or "/v1/remove"
    connection.request("POST", path + (f"?{parts.query}" if parts.query else ""), body=body)
    response = connection.getresponse()
    result = response.status, response.read()
    connection.close()
    return result
