"""Issue 27 in every interface: --product-only, reasons and explain pictures in the CLI, batch
runs (manifest column, review sheet) and the HTTP API, on a tiny two-output model."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import zipfile

import numpy as np
import pytest
from PIL import Image

from skucut.batch.run import execute, start
from skucut.batch.sheet import write_sheet
from skucut.cli import main
from tests.person_model import colour_rules_model, hand_photo


@pytest.fixture(scope="module")
def person_model(tmp_path_factory):
    pytest.importorskip("onnx")
    return colour_rules_model(tmp_path_factory.mktemp("person") / "colour-rules.onnx")


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    rgb, product, hand = hand_photo()
    path = tmp_path_factory.mktemp("photos") / "hand.png"
    Image.fromarray(rgb).save(path)
    return path, product, hand


def _alpha(path) -> np.ndarray:
    return np.asarray(Image.open(path)) > 127


def test_cli_product_only_explain_and_review_list(tmp_path, person_model, hand, capsys):
    photo, product, hand_mask = hand
    out, why = tmp_path / "out", tmp_path / "why"
    listed = tmp_path / "review.txt"
    code = main(["remove", str(photo), "-o", str(out), "-m", str(person_model), "--mask",
                 "--product-only", "--explain", str(why), "--review-list", str(listed)])  # fmt: skip
    assert code == 0
    alpha = _alpha(out / "hand.png")
    assert alpha[hand_mask].mean() < 0.01 and alpha[product].mean() > 0.97
    picture = Image.open(why / "hand.png")
    assert picture.format == "PNG" and picture.width == 3 * 360 + 12
    # The default keeps the hand and says why a person should look, in the list's own format.
    code = main(["remove", str(photo), "-o", str(tmp_path / "whole"), "-m", str(person_model),
                 "--mask", "--review-list", str(listed)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and _alpha(tmp_path / "whole" / "hand.png")[hand_mask].mean() > 0.97
    lines = listed.read_text().splitlines()
    if lines:  # flagged: path, a tab, the reasons
        path, reasons = lines[0].split("\t")
        assert path == str(photo) and "person in the cutout (" in reasons
        assert "skucut: why: 1 person in the cutout" in err


def test_cli_product_only_with_a_one_output_model_is_one_line(tmp_path, tiny_model, hand, capsys):
    code = main(["remove", str(hand[0]), "-o", str(tmp_path / "o"), "-m", str(tiny_model),
                 "--product-only"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 4 and len(err.splitlines()) == 1
    assert err.endswith("this model has no person map; use skucut-quality-v2 or later")
    assert not (tmp_path / "o").exists()
    code = main(["remove", str(hand[0]), "-o", str(tmp_path / "o"), "-m", str(tiny_model),
                 "--preset", "amazon-main"])  # fmt: skip
    assert code == 4 and "no person map" in capsys.readouterr().err


def test_batch_manifest_column_and_review_sheet_with_explain(tmp_path, person_model, hand):
    photo, _, hand_mask = hand
    manifest = tmp_path / "m.csv"
    with open(manifest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "output", "product_only"])
        writer.writerow([str(photo), "alone", "true"])
        writer.writerow([str(photo), "held", "false"])
    options = {"model": str(person_model), "mask": True}
    state = start([str(manifest)], str(tmp_path / "out"), options, tmp_path / "run", 0)
    assert execute(state, "local", workers=1) == {"done": 2}
    assert _alpha(tmp_path / "out" / "alone.png")[hand_mask].mean() < 0.01
    assert _alpha(tmp_path / "out" / "held.png")[hand_mask].mean() > 0.97
    with sqlite3.connect(tmp_path / "run" / "state.sqlite") as con:
        reasons = dict(con.execute("SELECT output, reason FROM items"))
    page = write_sheet(state).read_text()
    for output, reason in reasons.items():
        for said in filter(None, reason.split("; ")):
            assert f"<li>{said}</li>" in page, output
    # Each flagged image has its explain picture on the sheet, three panels wide.
    pictures = re.findall(r'<td class="explain"><img src="data:image/webp;base64,([^"]+)"', page)
    flagged = sum(1 for r in reasons.values() if r)
    assert len(pictures) == flagged
    for data in pictures:
        import base64

        assert Image.open(io.BytesIO(base64.b64decode(data))).width == 720


def test_http_product_only_explain_and_reasons(person_model, tiny_model, hand):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from skucut.serve import ServeSettings, create_app

    photo, _, hand_mask = hand
    data = photo.read_bytes()
    settings = ServeSettings(models=(str(person_model), str(tiny_model)))
    with TestClient(create_app(settings)) as client:
        files = {"file": ("hand.png", data, "image/png")}
        query = {"model": str(person_model), "mask": "true"}
        alone = client.post("/v1/remove", params={**query, "product_only": "true"}, files=files)
        assert alone.status_code == 200
        assert _alpha(io.BytesIO(alone.content))[hand_mask].mean() < 0.01
        held = client.post("/v1/remove", params=query, files=files)
        reasons = json.loads(held.headers["x-skucut-reasons"])
        assert any(r.startswith("person in the cutout (") for r in reasons)
        picture = client.post("/v1/remove", params={**query, "explain": "true"}, files=files)
        assert picture.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(picture.content)).width == 3 * 360 + 12
        assert picture.headers["x-skucut-reasons"] == held.headers["x-skucut-reasons"]
        batch = client.post(
            "/v1/remove/batch",
            params={"model": str(person_model), "explain": "true", "product_only": "true"},
            files=[("files", ("hand.png", data, "image/png"))],
        )
        archive = zipfile.ZipFile(io.BytesIO(batch.content))
        assert set(archive.namelist()) == {"hand.png", "explain/hand.png", "report.json"}
        (row,) = json.loads(archive.read("report.json"))
        assert isinstance(row["reasons"], list) and "confidence" in row
        refused = client.post(
            "/v1/remove", params={"model": str(tiny_model), "product_only": "true"}, files=files
        )
        assert refused.status_code == 422
        assert "no person map" in refused.json()["detail"]


def test_http_uncertainty_map_is_the_models_own(tiny_model, hand):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from skucut.explain import uncertainty
    from skucut.pipeline import load_segmenter
    from skucut.serve import ServeSettings, create_app

    photo, _, _ = hand
    rgb = np.asarray(Image.open(photo).convert("RGB"))
    expected = np.round(uncertainty(load_segmenter(str(tiny_model)).maps(rgb)["subject"]) * 255)
    with TestClient(create_app(ServeSettings(models=(str(tiny_model),)))) as client:
        files = {"file": ("hand.png", photo.read_bytes(), "image/png")}
        answer = client.post(
            "/v1/remove", params={"model": str(tiny_model), "uncertainty": "true"}, files=files
        )
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        heat = np.asarray(Image.open(io.BytesIO(answer.content)))
        assert heat.ndim == 2 and heat.shape == expected.shape
        assert np.abs(heat.astype(int) - expected).max() <= 1 and heat.max() > heat.min()
        batch = client.post(
            "/v1/remove/batch",
            params={"model": str(tiny_model), "uncertainty": "true"},
            files=[("files", ("hand.png", photo.read_bytes(), "image/png"))],
        )
        names = set(zipfile.ZipFile(io.BytesIO(batch.content)).namelist())
        assert names == {"hand.png", "uncertainty/hand.png", "report.json"}
