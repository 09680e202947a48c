"""The API docs (/docs) and the favicon, served from this process, never a CDN.

FastAPI's own docs pages load Swagger UI from a CDN, so on a shop's offline or firewalled
machine /docs is blank. The Swagger UI bundle comes from the fastapi-offline wheel (installed
with the serve extra; only its files are used), mounted under /docs-assets. There is no
/redoc: ReDoc's page fetches its logo from a CDN even when its script is local, and /docs
covers the same.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
FAVICON = "/favicon.ico"


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /favicon.ico; the app must be made with
    ``docs_url=None, redoc_url=None`` so FastAPI's CDN pages are not registered."""
    favicon = Path(str(resources.files("skucut.serve") / "static" / "favicon.ico"))
    app.mount(ASSETS, StaticFiles(directory=_assets_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
        )

    @app.get(FAVICON, include_in_schema=False)
    async def favicon_ico() -> FileResponse:
        return FileResponse(favicon, media_type="image/x-icon")
