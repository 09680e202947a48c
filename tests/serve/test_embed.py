"""POST /v1/embed: the vector `skucut embed` makes, for the shipped embedder and model."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from skucut.embed import load_embedder, view_for
from skucut.io import decode_image
from skucut.serve import ServeSettings, create_app
from tests.conftest import EXAMPLE

PHOTO = EXAMPLE.read_bytes()
ASTRONAUT = (EXAMPLE.parent / "astronaut.jpg").read_bytes()


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(ServeSettings())) as c:
        yield c


def _vector(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    return np.asarray(response.json()["vector"], np.float32)


def test_vector_of_the_cutout_matches_the_library(client):
    response = client.post("/v1/embed", files={"file": ("coffee.jpg", PHOTO, "image/jpeg")})
    body = response.json()
    assert body["view"] == "cutout" and body["embedder"] == "skucut-embed-lite0"
    vector = _vector(response)
    assert vector.size == body["dim"] and abs(np.linalg.norm(vector) - 1) < 1e-4
    embedder = load_embedder()
    view, _ = view_for(decode_image(PHOTO), embedder.cfg.input_size)
    assert np.allclose(vector, embedder.embed(view), atol=1e-5)
    raw = _vector(client.post("/v1/embed", content=PHOTO))  # the raw body gives the same
    assert np.allclose(raw, vector, atol=1e-5)


def test_photo_view_and_similarity(client):
    cutout = _vector(client.post("/v1/embed", content=PHOTO))
    photo = client.post("/v1/embed?cutout=false", content=PHOTO)
    assert photo.json()["view"] == "photo"
    other = _vector(client.post("/v1/embed", content=ASTRONAUT))
    assert not np.allclose(_vector(photo), cutout, atol=1e-3)
    assert float(cutout @ _vector(photo)) > float(cutout @ other)  # same cup beats a person


@pytest.mark.parametrize(
    ("request_kwargs", "status", "code"),
    [
        ({"content": b"not an image"}, 400, "invalid_image"),
        ({"content": b""}, 400, "no_image"),
        ({"params": {"model": "../../etc/passwd"}, "content": PHOTO}, 404, "model_not_found"),
        ({"params": {"cutout": "maybe"}, "content": PHOTO}, 422, "invalid_request"),
        ({"files": {"photo": ("c.jpg", PHOTO, "image/jpeg")}}, 400, "no_image"),
    ],
)
def test_bad_requests_get_json_errors(client, request_kwargs, status, code):
    response = client.post("/v1/embed", **request_kwargs)
    assert response.status_code == status and response.json()["error"] == code


def test_needs_the_api_key_when_one_is_set():
    with TestClient(create_app(ServeSettings(api_keys=frozenset({"k"})))) as c:
        assert c.post("/v1/embed", content=PHOTO).status_code == 401
        assert c.post("/v1/embed", content=PHOTO, headers={"X-API-Key": "k"}).status_code == 200
