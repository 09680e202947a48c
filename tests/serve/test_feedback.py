"""POST /v1/feedback: corrections stored as training pairs, off by default, bounded."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient

from skucut.catalog import DEFAULT_MODEL
from skucut.data.pairs import find_pairs
from skucut.serve import ServeSettings, create_app
from tests.conftest import EXAMPLE, png_bytes

PHOTO = EXAMPLE.read_bytes()
WIDTH, HEIGHT = Image.open(EXAMPLE).size


def corrected_alpha(mode: str = "RGBA", size=(WIDTH, HEIGHT)) -> bytes:
    """Left third background, middle third soft (100), right third product."""
    alpha = np.zeros((size[1], size[0]), np.uint8)
    alpha[:, size[0] // 3 :] = 100
    alpha[:, 2 * size[0] // 3 :] = 255
    if mode == "L":
        return png_bytes(Image.fromarray(alpha, "L"))
    rgba = np.dstack([np.full((size[1], size[0], 3), 90, np.uint8), alpha])
    return png_bytes(Image.fromarray(rgba, "RGBA"))


def send(client, alpha: bytes | None = None, headers=None, **fields):
    files = {"photo": ("shop/coffee.jpg", PHOTO, "image/jpeg")}
    files["alpha"] = ("alpha.png", corrected_alpha() if alpha is None else alpha, "image/png")
    return client.post("/v1/feedback", files=files, data=fields, headers=headers or {})


def list_pairs(folder) -> list:
    """The pairs ``skucut train`` would read from the folder."""
    try:
        return find_pairs(folder)
    except FileNotFoundError:
        return []


def counted(client, outcome: str) -> float:
    line = f'skucut_feedback_total{{outcome="{outcome}"}} '
    text = client.get("/metrics").text
    return float(next(x for x in text.splitlines() if x.startswith(line)).split()[-1])


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "feedback"


@pytest.fixture
def client(folder):
    with TestClient(create_app(ServeSettings(feedback_dir=str(folder)))) as c:
        yield c


def test_a_correction_becomes_a_training_pair(client, folder):
    options = {"preset": "white-main", "refine": "guided"}
    response = send(client, model="skucut-fast-v1", options=json.dumps(options))
    assert response.status_code == 200, response.text
    pair_id = response.json()["id"]
    ((image_path, mask_path),) = list_pairs(folder)  # what skucut train reads
    assert image_path.name == f"{pair_id}.jpg" and mask_path.name == f"{pair_id}.png"
    assert Image.open(image_path).size == (WIDTH, HEIGHT)
    mask = np.asarray(Image.open(mask_path))
    assert mask.dtype == np.uint8 and mask.shape == (HEIGHT, WIDTH)
    third = WIDTH // 3
    assert (mask[:, :third] == 0).all() and (mask[:, third : 2 * third] == 128).all()
    assert (mask[:, 2 * third :] == 255).all()
    meta = json.loads((folder / "meta" / f"{pair_id}.json").read_text())
    assert meta["model"] == "skucut-fast-v1" and meta["options"] == options
    assert meta["photo"]["name"] == "coffee" and meta["created"]
    assert not [p for p in folder.rglob("*") if p.name.startswith(".")]  # no temp files left
    assert counted(client, "accepted") == 1


def test_a_grey_png_alpha_and_a_png_photo(client, folder):
    photo = png_bytes(Image.open(EXAMPLE))
    files = {"photo": ("p.png", photo, "image/png"), "alpha": ("a.png", corrected_alpha("L"))}
    assert client.post("/v1/feedback", files=files).status_code == 200
    ((image_path, mask_path),) = list_pairs(folder)
    assert image_path.suffix == ".png"
    assert np.array_equal(np.asarray(Image.open(image_path)), np.asarray(Image.open(EXAMPLE)))
    assert sorted(np.unique(np.asarray(Image.open(mask_path)))) == [0, 128, 255]


@pytest.mark.parametrize(
    ("alpha", "fields", "status", "code"),
    [
        (png_bytes(Image.open(EXAMPLE), "JPEG"), {}, 415, "unsupported_mask"),
        (corrected_alpha(size=(WIDTH, HEIGHT - 1)), {}, 422, "size_mismatch"),
        (png_bytes(Image.open(EXAMPLE)), {}, 422, "invalid_mask"),  # RGB: which channel?
        (corrected_alpha()[:60], {}, 400, "invalid_image"),  # truncated PNG
        (None, {"options": "{not json"}, 422, "invalid_option"),
        (None, {"options": '{"canvas": 5}'}, 422, "invalid_option"),
        (None, {"options": "[1, 2]"}, 422, "invalid_option"),
        (None, {"model": "nope"}, 404, "model_not_found"),
    ],
)
def test_bad_corrections_are_refused_and_nothing_is_written(
    client, folder, alpha, fields, status, code
):
    response = send(client, alpha, **fields)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert not [p for p in folder.rglob("*") if p.is_file()]
    assert counted(client, "refused") == 1


def test_missing_parts_and_raw_bodies_are_refused(client, folder):
    only_photo = client.post("/v1/feedback", files={"photo": ("p.jpg", PHOTO)})
    assert only_photo.status_code == 400 and only_photo.json()["error"] == "missing_part"
    raw = client.post("/v1/feedback", content=PHOTO)
    assert raw.status_code == 400 and raw.json()["error"] == "not_multipart"
    corrupt = client.post(
        "/v1/feedback", files={"photo": ("p.jpg", b"junk"), "alpha": ("a.png", corrected_alpha())}
    )
    assert corrupt.status_code == 400 and corrupt.json()["error"] == "invalid_image"
    assert not [p for p in folder.rglob("*") if p.is_file()]


def test_off_by_default_and_said_so():
    with TestClient(create_app(ServeSettings())) as c:
        response = send(c)
        assert response.status_code == 403 and response.json()["error"] == "feedback_disabled"
        assert c.get("/v1/config").json()["feedback"] is False
        assert counted(c, "refused") == 1 and counted(c, "accepted") == 0


def test_the_api_key_is_checked_first(folder):
    settings = ServeSettings(feedback_dir=str(folder), api_keys=frozenset({"k"}))
    with TestClient(create_app(settings)) as c:
        assert c.get("/v1/config").json() == {
            "feedback": True,
            "api_key_required": True,
            "default_model": DEFAULT_MODEL,
            "max_upload_bytes": settings.max_upload_bytes,
            "max_batch_files": settings.max_batch_files,
        }
        assert send(c).status_code == 401
        assert send(c, headers={"X-API-Key": "wrong"}).status_code == 403
        assert not list_pairs(folder)
        assert send(c, headers={"X-API-Key": "k"}).status_code == 200


def test_the_folder_is_bounded(folder):
    small = ServeSettings(feedback_dir=str(folder), feedback_max_pairs=1, max_upload_bytes=10**6)
    with TestClient(create_app(small)) as c:
        assert send(c).status_code == 200
        full = send(c)
        assert full.status_code == 507 and full.json()["error"] == "feedback_full"
        big = c.post("/v1/feedback", files={"photo": ("p.jpg", bytes(2 * 10**6))})
        assert big.status_code == 413
    assert len(list_pairs(folder)) == 1
    tiny = ServeSettings(feedback_dir=str(folder), feedback_max_bytes=1000)
    with TestClient(create_app(tiny)) as c:
        assert send(c).status_code == 507
    assert len(list_pairs(folder)) == 1


def test_serve_turns_feedback_on_with_a_folder(tmp_path, monkeypatch, capsys):
    import uvicorn

    from skucut.cli import main

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: served.append(app))
    folder = tmp_path / "fb"
    assert main(["serve", "--feedback-dir", str(folder), "--feedback-max-pairs", "3"]) == 0
    with TestClient(served[0]) as c:
        assert c.get("/v1/config").json()["feedback"] is True
        assert send(c).status_code == 200
    assert len(list_pairs(folder)) == 1
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    assert main(["serve", "--feedback-dir", str(blocked)]) == 2
    assert capsys.readouterr().err.count("skucut: error:") == 1
