"""The web page in a real Chromium (Debian's, driven by Playwright) against a real uvicorn."""

from __future__ import annotations

import io
import json
import os
import shutil
import zipfile

import pytest
from PIL import Image

playwright = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from skucut.serve import ServeSettings, create_app  # noqa: E402
from tests.conftest import EXAMPLE  # noqa: E402
from tests.serve.live import live_server  # noqa: E402

CHROMIUM = os.environ.get("SKUCUT_CHROMIUM") or shutil.which("chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="needs chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def base_url():
    with live_server(create_app(ServeSettings())) as url:
        yield url


@pytest.fixture(scope="module")
def page(base_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(accept_downloads=True)
        page.goto(base_url)
        yield page
        browser.close()


def test_upload_shows_result_and_downloads_an_rgba_png(page):
    # Accessible names a screen reader announces.
    assert page.get_by_label("Preset").is_visible()
    assert page.get_by_role("button", name="Drop photos here, or press Enter to choose files")
    page.set_input_files("#files", str(EXAMPLE))
    link = page.locator(".card .download")
    link.wait_for(state="visible", timeout=60_000)
    assert page.locator(".card .error").inner_text() == ""
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "coffee.png"
    image = Image.open(download.path())
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.size == Image.open(EXAMPLE).size
    # The before/after slider moves the split.
    page.locator(".card .slider").fill("20")
    assert "20%" in page.locator(".card .after-wrap").evaluate("e => e.style.clipPath")


def test_download_all_gives_a_zip_with_the_preset_applied(page):
    page.select_option("#preset", "white-main")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download all (ZIP)").click()
    archive = zipfile.ZipFile(info.value.path())
    assert archive.namelist() == ["coffee.jpg", "report.json"]
    (entry,) = json.loads(archive.read("report.json"))
    assert entry["output"] == "coffee.jpg" and 0 <= entry["confidence"] <= 1
    image = Image.open(io.BytesIO(archive.read("coffee.jpg")))
    assert image.size == (2000, 2000) and image.getpixel((5, 5)) == (255, 255, 255)


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
    page.fill("#api-key", "")
    page.locator("#api-key").dispatch_event("change")
