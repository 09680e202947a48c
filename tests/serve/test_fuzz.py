"""Fuzz: hostile image files through ``POST /v1/remove`` and ``/v1/remove/batch``.

Every input gets an image or the documented JSON error with its 4xx: never a 500, never a
traceback; valid images always work, huge declared sizes are 413, other file types 400/415.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from skucut.serve import ServeSettings, create_app
from tests.fuzz_inputs import fuzz_input

N = 100
EXPECTED = {
    "valid": {200},
    "huge": {413},
    "other": {400, 415},
    "truncated": {200, 400, 413, 415},
    "flipped": {200, 400, 413, 415},
}
CODES = {400: {"invalid_image", "no_image"}, 413: {"image_too_large"}, 415: {"unsupported_image"}}
QUERY = "?mask=true&refine=none"  # the decoder is under test, not the model: keep it quick


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 99))


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(ServeSettings())) as c:
        yield c


def _inputs() -> list[tuple[str, bytes, str]]:
    return [fuzz_input(k) for k in range(N)] + [
        ("declared.png", _png_declaring(100_000, 100_000), "huge")
    ]


@pytest.mark.parametrize(
    ("name", "data", "kind"), _inputs(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_one_image(client, name, data, kind):
    response = client.post(f"/v1/remove{QUERY}", content=data)
    assert response.status_code in EXPECTED[kind], (name, response.text)
    if response.status_code == 200:
        assert response.headers["content-type"] == "image/png"
        return
    body = response.json()
    assert response.headers["content-type"] == "application/json"
    assert set(body) == {"error", "detail"} and body["error"] in CODES[response.status_code]
    assert isinstance(body["detail"], str) and "Traceback" not in body["detail"]


def test_batches_account_for_every_file(client):
    inputs = _inputs()
    for start in range(0, len(inputs), 20):
        chunk = inputs[start : start + 20]
        files = [("files", (name, data, "application/octet-stream")) for name, data, _ in chunk]
        response = client.post(f"/v1/remove/batch{QUERY}", files=files)
        assert response.status_code == 200, response.text
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        errors = (
            json.loads(archive.read("errors.json")) if "errors.json" in archive.namelist() else []
        )
        reports = ("errors.json", "report.json")
        written = {n.rsplit(".", 1)[0] for n in archive.namelist() if n not in reports}
        failed = {e["file"].rsplit(".", 1)[0] for e in errors}
        names = {name.rsplit(".", 1)[0] for name, _, _ in chunk}
        assert written | failed == names and not written & failed
        assert all(e["error"] in CODES[400] | CODES[413] | CODES[415] for e in errors)
