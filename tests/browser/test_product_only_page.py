"""Issue 27 on the web page, in a real Chromium against a real uvicorn: the "Product only"
switch, the badge's reasons and the Why? button's explain picture."""

from __future__ import annotations

import os
import shutil

import pytest
from PIL import Image

playwright = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")
pytest.importorskip("onnx")

from skucut.serve import ServeSettings, create_app  # noqa: E402
from tests.conftest import png_bytes  # noqa: E402
from tests.person_model import colour_rules_model, hand_photo  # noqa: E402
from tests.serve.live import live_server  # noqa: E402

CHROMIUM = os.environ.get("SKUCUT_CHROMIUM") or shutil.which("chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="needs chromium (apt-get install chromium)")
ALPHA = "([x, y]) => document.querySelector('.card .after').getContext('2d').getImageData(x, y, 1, 1).data[3]"
DONE = "() => ['done', 'review'].includes(document.querySelector('.card')?.dataset.state)"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    model = colour_rules_model(tmp_path_factory.mktemp("m") / "colour-rules.onnx")
    with live_server(create_app(ServeSettings(models=(str(model),)))) as url:
        yield url


def test_product_only_switch_badge_and_explain(base_url, tmp_path):
    rgb, _, _ = hand_photo()
    photo = {"name": "hand.png", "mimeType": "image/png", "buffer": png_bytes(Image.fromarray(rgb))}
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(base_url)
        page.wait_for_selector("body.ready")
        page.set_input_files("#files", [photo])
        page.wait_for_function(DONE, timeout=120_000)
        palm, bottle = [128, 225], [128, 80]  # the photo's own pixels (no preset: same size)
        assert page.evaluate(ALPHA, palm) == 255 and page.evaluate(ALPHA, bottle) == 255
        badge = page.locator(".card .badge.review")
        if badge.is_visible():  # the hand is half the cutout: the reason says so
            assert "person in the cutout" in badge.get_attribute("title")
        with page.expect_response("**/v1/remove?**product_only=true**"):
            page.get_by_label("Product only").check()
        page.wait_for_function(DONE, timeout=120_000)
        page.wait_for_function(
            "() => document.querySelector('.card .after').getContext('2d')"
            ".getImageData(128, 225, 1, 1).data[3] === 0",
            timeout=60_000,
        )
        assert page.evaluate(ALPHA, bottle) == 255
        with page.expect_response("**/v1/remove?**explain=true**") as answer:
            page.get_by_role("button", name="Why? hand.png").click()
        assert answer.value.headers["content-type"] == "image/png"
        page.wait_for_function(
            "() => { const i = document.querySelector('.card img.explain');"
            " return i && !i.hidden && i.complete && i.naturalWidth === 3 * 360 + 12; }"
        )
        page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
        if os.environ.get("SKUCUT_SCREENSHOT"):
            shutil.copy(tmp_path / "page.png", os.environ["SKUCUT_SCREENSHOT"])
        page.get_by_role("button", name="Why? hand.png").click()
        assert page.locator(".card img.explain").is_hidden()
        browser.close()
        assert not errors, errors
