"""The page and the API docs as a shop owner first sees them: on a 360 px phone, offline."""

from __future__ import annotations

import os
import shutil

import pytest

playwright = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

from skucut.serve import ServeSettings, create_app  # noqa: E402
from tests.conftest import EXAMPLE  # noqa: E402
from tests.serve.live import live_server  # noqa: E402

CHROMIUM = os.environ.get("SKUCUT_CHROMIUM") or shutil.which("chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM, reason="needs chromium (apt-get install chromium)")

# Form controls whose right edge passes the viewport, and selects whose chosen text is cut.
OVERFLOW = """() => [...document.querySelectorAll('#options *')]
  .filter((e) => { const r = e.getBoundingClientRect(); return r.width && r.right > innerWidth + 0.5; })
  .map((e) => e.id || e.tagName)"""
CUT_SELECTS = """() => [...document.querySelectorAll('#options select')].filter((s) => {
  const probe = document.createElement('span');
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre;font:' + getComputedStyle(s).font;
  probe.textContent = s.options[s.selectedIndex].text;
  document.body.append(probe);
  const needed = probe.getBoundingClientRect().width + 28;  // + padding and the arrow
  probe.remove();
  return needed > s.getBoundingClientRect().width;
}).map((s) => s.id + ': ' + s.options[s.selectedIndex].text)"""
BEFORE_PIXEL = """([x, y]) => { const c = document.querySelector('.card .before');
  return [...c.getContext('2d').getImageData(x * c.width | 0, y * c.height | 0, 1, 1).data]; }"""


@pytest.fixture(scope="module")
def base_url():
    with live_server(create_app(ServeSettings())) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _offline_page(browser, base_url, width: int):
    """A page whose requests may only reach the skucut server (a shop's offline machine)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    outside = []

    def only_local(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    return context, page, outside


def test_controls_fit_a_360px_phone_and_the_default_model_reads_whole(browser, base_url):
    context, page, outside = _offline_page(browser, base_url, 360)
    page.goto(base_url)
    page.wait_for_function("document.querySelector('#model').options[0].text.includes('(default)')")
    assert page.evaluate(OVERFLOW) == []
    assert page.evaluate(CUT_SELECTS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert outside == []
    context.close()


def test_before_half_shows_the_chosen_background_around_a_placed_photo(browser, base_url):
    context, page, _ = _offline_page(browser, base_url, 900)
    page.goto(base_url)
    page.wait_for_function("document.querySelector('#preset').options.length > 1")
    page.select_option("#preset", "white-main")
    page.click(".swatch[data-bg='#ffffff']")
    page.set_input_files(
        "#files",
        files=[{"name": "cup.jpg", "mimeType": "image/jpeg", "buffer": EXAMPLE.read_bytes()}],
    )
    page.wait_for_selector(".card[data-state=done], .card[data-state=review]", timeout=180_000)
    # Placed on the square canvas once the preset's layer has come (the photo-sized cutout
    # is shown until then).
    page.wait_for_function(
        "(() => { const c = document.querySelector('.card .before');"
        " return c.width > 0 && c.width === c.height; })()",
        timeout=180_000,
    )
    # The 600x400 photo placed on the square canvas (the cup anchored to the bottom edge it
    # touches) leaves a band above it: it shows the white chosen, not transparency (which the
    # page shows as a checkerboard).
    for point in ([0.5, 0.01], [0.01, 0.01], [0.99, 0.01]):
        assert page.evaluate(BEFORE_PIXEL, point) == [255, 255, 255, 255], point
    context.close()


def test_api_docs_and_favicon_work_offline(browser, base_url):
    context, page, outside = _offline_page(browser, base_url, 1280)
    page.goto(base_url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "skucut" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock-summary-path", has_text="/v1/remove").count() >= 1
    icon = page.request.get(base_url + "/favicon.ico")
    assert icon.status == 200 and icon.body()[:4] == b"\x00\x00\x01\x00"  # an .ico file
    assert outside == []  # nothing fetched from a CDN
    assert page.request.get(base_url + "/redoc").status == 404  # ReDoc's page would need one
    context.close()
