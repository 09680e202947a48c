"""The web page in a real Chromium (Debian's, driven by Playwright) against a real uvicorn."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile

import numpy as np
import pytest
from PIL import Image

playwright = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from skucut.catalog import DEFAULT_MODEL  # noqa: E402
from skucut.serve import ServeSettings, create_app  # noqa: E402
from tests.conftest import EXAMPLE, png_bytes  # noqa: E402
from tests.serve.live import live_server  # noqa: E402

CHROMIUM = os.environ.get("SKUCUT_CHROMIUM") or shutil.which("chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="needs chromium (apt-get install chromium)")

PHOTO = {"name": "coffee.jpg", "mimeType": "image/jpeg", "buffer": EXAMPLE.read_bytes()}
BROKEN = {"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}
SHOWN = ".card[data-state=done], .card[data-state=review]"

# JS run in the page: pixels and facts of the canvases it shows.
PIXEL = "([sel, x, y]) => [...document.querySelector(sel).getContext('2d').getImageData(x, y, 1, 1).data]"
SIZE = "(sel) => [document.querySelector(sel).width, document.querySelector(sel).height]"
DIGEST = """async (sel) => {
  const c = document.querySelector(sel);
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const hash = await crypto.subtle.digest('SHA-256', data);
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}"""
# A product pixel: the opaque pixel nearest the centroid of the opaque ones.
PRODUCT_POINT = """(sel) => {
  const c = document.querySelector(sel);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < c.width * c.height; i++) {
    if (d[i * 4 + 3] === 255) { sx += i % c.width; sy += Math.floor(i / c.width); n++; }
  }
  const [cx, cy] = [Math.round(sx / n), Math.round(sy / n)];
  for (let r = 0; r < c.width; r++) {
    for (const x of [cx - r, cx + r]) if (d[(cy * c.width + x) * 4 + 3] === 255) return [x, cy];
  }
}"""


@pytest.fixture(scope="module")
def feedback_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("feedback")


@pytest.fixture(scope="module")
def base_url(feedback_dir):
    with live_server(create_app(ServeSettings(feedback_dir=str(feedback_dir)))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.remove_requests = []
    page.on(
        "request", lambda r: page.remove_requests.append(r.url) if "/v1/remove" in r.url else None
    )
    page.goto(base_url)
    page.wait_for_selector("body.ready")
    yield page
    context.close()
    assert not errors, errors


def shown(page, files=(PHOTO,)):
    """Add photos with the file picker and wait until every card is done or failed."""
    page.set_input_files("#files", list(files))
    page.wait_for_function(
        "n => document.querySelectorAll('.card').length === n && [...document.querySelectorAll"
        "('.card')].every(c => ['done', 'review', 'failed'].includes(c.dataset.state))",
        arg=len(files),
        timeout=120_000,
    )


def pixel(page, x, y, sel=".card .after"):
    return page.evaluate(PIXEL, [sel, x, y])


def edit(page, name="coffee.jpg"):
    """Open the editor (it opens once the original is decoded)."""
    page.get_by_role("button", name=f"Edit {name}").click()
    page.wait_for_selector("dialog#editor[open] #editor-stage canvas.editing")


def brush(page, points, mode="Erase"):
    """One stroke through image points of the cutout being edited."""
    page.get_by_role("button", name=mode, exact=True).click()
    box = page.locator("#editor-stage canvas.editing").bounding_box()
    width, height = page.evaluate(SIZE, "#editor-stage canvas.editing")
    screen = [(box["x"] + x * box["width"] / width, box["y"] + y * box["height"] / height)
              for x, y in points]  # fmt: skip
    page.mouse.move(*screen[0])
    page.mouse.down()
    for point in screen[1:]:
        page.mouse.move(*point, steps=4)
    page.mouse.up()


def test_a_photo_becomes_a_result_that_downloads_as_shown(page):
    assert page.get_by_label("Preset").is_visible()
    assert page.get_by_role("button", name="Drop photos here, or press Enter to choose files")
    with page.expect_response("**/v1/remove?**") as answer:
        shown(page)
    needs_review = answer.value.headers["x-skucut-needs-review"] == "true"
    assert page.locator(".card .badge.review").is_visible() == needs_review  # "check this"
    state = page.locator(".card .state").inner_text()
    assert state == ("check this" if needs_review else "done")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download coffee.jpg").click()
    assert info.value.suggested_filename == "coffee.png"
    image = Image.open(info.value.path())
    assert image.mode == "RGBA" and image.size == Image.open(EXAMPLE).size
    assert hashlib.sha256(image.tobytes()).hexdigest() == page.evaluate(DIGEST, ".card .after")
    page.locator(".card .slider").fill("20")  # the before/after split follows the slider
    assert "20%" in page.locator(".card .after").evaluate("e => e.style.clipPath")


def test_backgrounds_apply_at_once_without_a_request(page):
    shown(page)
    requests = len(page.remove_requests)
    assert pixel(page, 2, 2)[3] == 0  # transparent
    page.get_by_role("button", name="Black background").click()
    assert pixel(page, 2, 2) == [29, 29, 31, 255]
    page.locator("#bg-color").fill("#123456")
    assert pixel(page, 2, 2) == [0x12, 0x34, 0x56, 255]
    backdrop = png_bytes(Image.new("RGB", (50, 30), (10, 200, 30)))
    page.set_input_files(
        "#bg-photo", {"name": "bg.png", "mimeType": "image/png", "buffer": backdrop}
    )
    page.wait_for_function(f"() => ({PIXEL})(['.card .after', 2, 2])[1] === 200")
    page.get_by_role("button", name="Transparent background").click()
    assert pixel(page, 2, 2)[3] == 0
    assert len(page.remove_requests) == requests


def test_a_preset_reruns_only_the_placement_and_before_after_line_up(page):
    shown(page)
    assert len(page.remove_requests) == 1
    page.select_option("#preset", "white-main")
    page.wait_for_selector(SHOWN, timeout=120_000)
    assert len(page.remove_requests) == 2 and "canvas=2000x2000" in page.remove_requests[1]
    assert page.evaluate(SIZE, ".card .after") == [2000, 2000]
    assert pixel(page, 5, 5) == [255, 255, 255, 255]  # the preset's white, drawn here
    # Before/after aligned: at product pixels the original, placed like the product, shows
    # the same colours as the result; shifted by 10% it would not.
    thumb = page.evaluate(SIZE, ".card .before")
    k = thumb[0] / 2000
    x, y = page.evaluate(PRODUCT_POINT, ".card .after")
    points = [(x + dx, y + dy) for dx in (-150, 0, 150) for dy in (-150, 0, 150)]

    def difference(shift: int) -> float:
        gaps = []
        for px, py in points:
            after = pixel(page, px, py)[:3]
            before = pixel(page, round((px + shift) * k), round(py * k), ".card .before")[:3]
            gaps.append(np.abs(np.subtract(after, before)).mean())
        return float(np.mean(gaps))

    assert difference(0) < 8 and difference(200) > 3 * difference(0)
    page.select_option("#preset", "")  # back and forth: nothing is fetched again
    page.select_option("#preset", "white-main")
    page.wait_for_selector(SHOWN)
    assert len(page.remove_requests) == 2


def test_the_brush_edits_alpha_and_undo_restores_it(page):
    shown(page)
    x, y = page.evaluate(PRODUCT_POINT, ".card .after")
    before = pixel(page, x, y)
    assert before[3] == 255
    edit(page)
    stage_width = page.locator("#editor-stage").bounding_box()["width"]
    page.get_by_role("button", name="Zoom in").click()
    assert page.locator("#editor-stage").bounding_box()["width"] == pytest.approx(
        stage_width * 1.25, abs=2
    )
    brush(page, [(x - 5, y), (x + 5, y)])
    assert pixel(page, x, y)[3] == 0  # the card shows the edit at once
    assert pixel(page, x, y - 80)[3] == 255  # only where painted
    page.get_by_role("button", name="Undo").click()
    assert pixel(page, x, y) == before
    page.get_by_role("button", name="Redo").click()
    assert pixel(page, x, y)[3] == 0
    brush(page, [(x, y), (x, y + 1)], mode="Restore")  # back to the photo, fully opaque
    restored = pixel(page, x, y)
    assert restored[3] == 255
    photo = np.asarray(Image.open(EXAMPLE))[y, x]
    assert np.abs(np.subtract(restored[:3], photo)).max() <= 3
    page.get_by_role("button", name="Done").click()
    assert page.get_by_role("button", name="Send correction coffee.jpg").is_visible()


UNSURE_SHARE = """() => {
  const map = document.querySelector('#editor-stage canvas.unsure-map');
  const data = map.getContext('2d').getImageData(0, 0, map.width, map.height).data;
  let red = 0;
  for (let i = 3; i < data.length; i += 4) red += data[i] > 0;
  return red / (map.width * map.height);
}"""


def test_the_editor_shows_where_the_model_was_unsure(page):
    shown(page)
    with page.expect_response("**/v1/remove?**uncertainty=true**"):
        edit(page)
    overlay = page.locator("#editor-stage canvas.unsure-map")
    overlay.wait_for()
    share = page.evaluate(UNSURE_SHARE)
    assert 0.001 < share < 0.3, share  # a band along the outline, not the whole photo
    box, stage = overlay.bounding_box(), page.locator("#editor-stage").bounding_box()
    assert box["width"] == pytest.approx(stage["width"], abs=1)  # stretched over the photo
    if os.environ.get("SKUCUT_SCREENSHOT"):
        page.screenshot(path=os.environ["SKUCUT_SCREENSHOT"])
    page.get_by_label("Unsure areas").uncheck()
    assert overlay.is_hidden()
    page.get_by_role("button", name="Done").click()
    assert page.locator("#editor-stage canvas.unsure-map").count() == 0


def test_download_all_packs_exactly_what_is_shown(page):
    shown(page, [PHOTO, BROKEN])
    page.get_by_role("button", name="Light grey background").click()
    edit(page)
    x, y = page.evaluate(PRODUCT_POINT, ".card .after")
    brush(page, [(x - 20, y), (x + 20, y)])
    page.get_by_role("button", name="Done").click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download all (ZIP)").click()
    archive = zipfile.ZipFile(info.value.path())
    assert archive.testzip() is None
    assert archive.namelist() == ["coffee.png", "report.json", "errors.json"]
    image = Image.open(io.BytesIO(archive.read("coffee.png")))
    assert image.mode == "RGBA" and image.getpixel((x, y)) == (242, 242, 242, 255)  # erased
    digest = page.evaluate(DIGEST, ".card .after")
    assert hashlib.sha256(image.tobytes()).hexdigest() == digest
    (entry,) = json.loads(archive.read("report.json"))
    assert entry["output"] == "coffee.png" and entry["edited"] is True
    assert 0 <= entry["confidence"] <= 1 and isinstance(entry["needs_review"], bool)
    (error,) = json.loads(archive.read("errors.json"))
    assert error["file"] == "broken.jpg" and "not a recognised image" in error["error"]
    assert not [url for url in page.remove_requests if "batch" in url]  # nothing re-processed


def test_a_corrupt_file_fails_with_its_reason_retry_and_remove(page):
    shown(page, [BROKEN])
    card = page.locator(".card")
    assert card.get_attribute("data-state") == "failed"
    assert "not a recognised image" in card.locator(".error").inner_text()
    with page.expect_response("**/v1/remove?**") as retried:
        page.get_by_role("button", name="Retry broken.jpg").click()
    assert retried.value.status == 400
    page.wait_for_selector(".card[data-state=failed]")
    page.get_by_role("button", name="Remove broken.jpg").click()
    assert page.locator(".card").count() == 0 and page.locator("#status").inner_text() == ""


def test_paste_and_drop_anywhere_add_photos(page):
    add = """async ([kind, bytes]) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'image.png', {type: 'image/png'}));
      const event = kind === 'paste'
        ? new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true})
        : new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true});
      document.querySelector(kind === 'paste' ? 'h1' : 'footer, .actions').dispatchEvent(event);
    }"""
    photo = list(png_bytes(Image.open(EXAMPLE).resize((150, 100))))
    page.evaluate(add, ["paste", photo])
    page.evaluate(add, ["drop", photo])
    page.wait_for_function(
        "() => [...document.querySelectorAll('.card')].filter(c => ['done', 'review']"
        ".includes(c.dataset.state)).length === 2",
        timeout=120_000,
    )
    names = page.locator(".card .name").all_inner_texts()
    assert names[0].startswith("pasted-") and names[1] == "image.png"


def test_phone_width_has_no_sideways_scroll(page):
    shown(page, [PHOTO, BROKEN])
    for width in (360, 390):
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        edit(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        dialog = page.locator("dialog#editor").bounding_box()
        assert dialog["x"] >= 0 and dialog["x"] + dialog["width"] <= width
        page.get_by_role("button", name="Done").click()


def test_a_correction_is_sent_back_as_a_training_pair(page, feedback_dir):
    shown(page)
    x, y = page.evaluate(PRODUCT_POINT, ".card .after")
    edit(page)
    brush(page, [(x - 10, y), (x + 10, y)])
    page.get_by_role("button", name="Done").click()
    with page.expect_response("**/v1/feedback") as answer:
        page.get_by_role("button", name="Send correction coffee.jpg").click()
    pair_id = answer.value.json()["id"]
    assert page.locator(".card .send").inner_text() == "Correction sent"
    mask = np.asarray(Image.open(feedback_dir / "masks" / f"{pair_id}.png"))
    photo = Image.open(feedback_dir / "images" / f"{pair_id}.jpg")
    assert photo.size == Image.open(EXAMPLE).size and mask.shape == (photo.height, photo.width)
    assert mask[y, x] == 0 and mask[y - 80, x] == 255  # erased; untouched product
    assert set(np.unique(mask)) <= {0, 128, 255}
    meta = json.loads((feedback_dir / "meta" / f"{pair_id}.json").read_text())
    assert meta["model"] == DEFAULT_MODEL and meta["options"]["format"] == "png"


def test_no_correction_button_when_the_server_has_feedback_off(page):
    page.route("**/v1/config", lambda route: route.fulfill(json={"feedback": False}))
    page.reload()
    page.wait_for_selector("body.ready")
    shown(page)
    x, y = page.evaluate(PRODUCT_POINT, ".card .after")
    edit(page)
    brush(page, [(x, y), (x + 5, y)])
    page.get_by_role("button", name="Done").click()
    assert page.locator(".card .send").is_hidden()


def test_api_key_is_kept_for_the_tab_only(page):
    """The key goes to sessionStorage (gone with the tab), never to localStorage (disk)."""
    page.fill("#api-key", "s3cret-key")
    page.locator("#api-key").dispatch_event("change")
    stored = page.evaluate(
        "() => [sessionStorage.getItem('skucut-api-key'), localStorage.getItem('skucut-api-key')]"
    )
    assert stored == ["s3cret-key", None]
    page.reload()  # the same tab keeps it
    assert page.input_value("#api-key") == "s3cret-key"
