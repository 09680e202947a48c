"""The HTTP API and the web page: ``create_app(settings)`` builds a FastAPI app.

Models are loaded once, in the lifespan; images are processed in worker threads under
bounded admission (see limits.py); every error is JSON ``{"error": code, "detail": ...}``.
"""

from __future__ import annotations

import asyncio
import hmac
import io
import json
import time
import zipfile
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from skucut._version import __version__
from skucut.catalog import DEFAULT_MODEL, list_models
from skucut.errors import SkucutError
from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, prepare, remove_bytes
from skucut.presets import BUILTIN
from skucut.serve.fetch import FetchError, fetch
from skucut.serve.limits import Admission, BodyLimit, QueueFull
from skucut.serve.metrics import ServiceMetrics
from skucut.serve.params import Options
from skucut.serve.settings import ServeSettings

MEDIA_TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg"}
API_ROUTES = {"/v1/remove", "/v1/remove/batch", "/v1/models", "/v1/presets"}
ACCEPTED = {"image/png": "png", "image/webp": "webp", "image/jpeg": "jpg", "image/jpg": "jpg"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers


def error_response(status: int, code: str, detail, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def negotiated_format(accept: str | None) -> str | None:
    """The first image type in Accept that we can write (q-values in listed order)."""
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ACCEPTED:
            return ACCEPTED[media]
    return None


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    metrics = ServiceMetrics()
    state = {"ready": False}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        admission = Admission(settings.concurrency, settings.queue_size)
        app.state.admission = admission
        for name in (None, *settings.models):  # each model once, before the first request
            await anyio.to_thread.run_sync(prepare, RemoveOptions(model=name))
        state["ready"] = True
        yield
        state["ready"] = False

    app = FastAPI(
        title="skucut",
        version=__version__,
        description="Background removal for product photos.",
        lifespan=lifespan,
    )
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_upload_bytes,
        on_reject=metrics.rejected.labels("too_large").inc,
    )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError):
        detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return error_response(422, "invalid_request", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
        code = codes.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, exc.detail)

    @app.middleware("http")
    async def _observe(request: Request, call_next):
        route = request.url.path if request.url.path in API_ROUTES else "other"  # bounded labels
        started = time.perf_counter()
        response = await call_next(request)
        metrics.requests.labels(route, str(response.status_code)).inc()
        metrics.latency.labels(route).observe(time.perf_counter() - started)
        return response

    def check_key(request: Request) -> None:
        if not settings.api_keys:
            return
        key = request.headers.get("x-api-key")
        if key is None:
            raise ApiError(401, "unauthorized", "missing X-API-Key header")
        if not any(hmac.compare_digest(key, known) for known in settings.api_keys):
            raise ApiError(403, "forbidden", "invalid API key")

    async def run_limited(request: Request, fn, *args):
        """Run ``fn`` in a worker thread once admitted; answer within the request timeout.

        A job that overruns keeps its slot until its thread really ends (threads cannot be
        killed), so timeouts never multiply the work in progress.
        """
        admission: Admission = request.app.state.admission
        deadline = time.monotonic() + settings.timeout_s
        try:
            await asyncio.wait_for(admission.acquire(), settings.timeout_s)
        except QueueFull:
            metrics.rejected.labels("queue_full").inc()
            raise ApiError(503, "busy", "server busy, retry later", {"Retry-After": "2"}) from None
        except TimeoutError:
            metrics.rejected.labels("timeout").inc()
            raise ApiError(503, "busy", "no free slot in time", {"Retry-After": "5"}) from None
        job = asyncio.ensure_future(anyio.to_thread.run_sync(fn, *args))
        job.add_done_callback(lambda done: _finish(done, admission, metrics))
        metrics.in_flight.set(admission.running)
        metrics.queued.set(admission.waiting)
        try:
            return await asyncio.wait_for(asyncio.shield(job), deadline - time.monotonic())
        except TimeoutError:
            metrics.rejected.labels("timeout").inc()
            raise ApiError(504, "timeout", f"not done within {settings.timeout_s} s") from None

    def build_options(given: dict, accept: str | None) -> RemoveOptions:
        given = {k: v for k, v in given.items() if v not in (None, "")}
        if "format" not in given and not given.get("preset"):
            given["format"] = negotiated_format(accept)
        preset = given.pop("preset", None)
        try:
            return RemoveOptions.build(preset, max_pixels=settings.max_pixels, **given)
        except ValueError as exc:
            raise ApiError(422, "invalid_option", str(exc)) from None

    def process(data: bytes, options: RemoveOptions, background=None) -> bytes:
        try:
            return remove_bytes(data, options, background)
        except SkucutError as exc:
            raise ApiError(exc.http_status, exc.code, str(exc)) from None

    async def read_request(request: Request, query: Options, multiple: bool):
        """(images, options, background) from a multipart form or a raw image body.

        Form fields carry the same options as the query string and take precedence.
        """
        given = query.given()
        background = None
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            form = await request.form()
            images = [
                (part.filename or "image", await part.read())
                for part in form.getlist("files" if multiple else "file")
                if hasattr(part, "read")
            ]
            fields = {k: v for k, v in form.items() if isinstance(v, str) and v != ""}
            try:
                given.update(Options(**fields).given())
            except ValidationError as exc:
                detail = [{"loc": ["form", *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
                raise ApiError(422, "invalid_request", detail) from None
            bg_part = form.get("bg_file")
            if hasattr(bg_part, "read"):
                background = await read_background(await bg_part.read())
        else:
            body = await request.body()
            images = [("image", body)] if body else []
        if not images:
            part = "'files' parts" if multiple else "a 'file' part, a raw body or a url"
            raise ApiError(400, "no_image", f"send the image(s) as {part}")
        options = build_options(given, None if multiple else request.headers.get("accept"))
        return images, options, background

    async def read_background(data: bytes):
        try:
            return decode_image(data, settings.max_pixels).rgb
        except SkucutError as exc:
            raise ApiError(exc.http_status, exc.code, f"background: {exc}") from None

    async def fetch_url(url: str) -> bytes:
        if not settings.allow_url:
            raise ApiError(403, "url_disabled", "url input is turned off on this server")
        try:
            return await anyio.to_thread.run_sync(
                fetch, url, settings.url_max_bytes, settings.url_timeout_s
            )
        except FetchError as exc:
            raise ApiError(exc.status, "url_refused", str(exc)) from None

    @app.post(
        "/v1/remove",
        summary="Remove the background of one image",
        description="The image comes as a multipart 'file' part (options may also be form "
        "fields, and 'bg_file' a background photo), as the raw request body, or by url.",
        openapi_extra={"requestBody": _request_body(multiple=False)},
        responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
    )
    async def remove(
        request: Request,
        query: Annotated[Options, Query()],
        url: Annotated[str | None, Query(description="fetch the image here")] = None,
    ):
        check_key(request)
        if url:
            options = build_options(query.given(), request.headers.get("accept"))
            images, background = [("url", await fetch_url(url))], None
        else:
            images, options, background = await read_request(request, query, multiple=False)
        result = await run_limited(request, process, images[0][1], options, background)
        media = "image/png" if options.mask else MEDIA_TYPES[options.format]
        return Response(result, media_type=media)

    @app.post(
        "/v1/remove/batch",
        summary="Remove the backgrounds of several images; answers a ZIP",
        description="Images as multipart 'files' parts; a file that fails is listed in "
        "errors.json inside the ZIP and the others are still processed.",
        openapi_extra={"requestBody": _request_body(multiple=True)},
        responses={200: {"content": {"application/zip": {}}}},
    )
    async def remove_batch(request: Request, query: Annotated[Options, Query()]):
        check_key(request)
        images, options, background = await read_request(request, query, multiple=True)
        if len(images) > settings.max_batch_files:
            raise ApiError(413, "too_many_files", f"at most {settings.max_batch_files} files")
        buf, errors, used = io.BytesIO(), {}, set()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
            for filename, data in images:
                try:
                    result = await run_limited(request, process, data, options, background)
                except ApiError as exc:
                    if exc.status in (503, 504):
                        raise
                    errors[filename] = {"error": exc.code, "detail": exc.detail}
                    continue
                archive.writestr(_unique(Path(filename).stem, options.extension, used), result)
            if errors:
                archive.writestr("errors.json", json.dumps(errors, indent=2))
        return Response(
            buf.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": 'attachment; filename="skucut.zip"'},
        )

    @app.get("/v1/models", summary="Installed models and their measured metrics")
    async def models():
        return {
            "default": DEFAULT_MODEL,
            "models": [
                {"name": m.name, "task": m.task, "size_bytes": m.size_bytes, "metrics": m.metrics}
                for m in list_models()
            ],
        }

    @app.get("/v1/presets", summary="Output presets")
    async def presets():
        return {"presets": BUILTIN}

    @app.get("/healthz", summary="The process is alive")
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", summary="Models are loaded and requests are accepted")
    async def readyz():
        if not state["ready"]:
            return error_response(503, "not_ready", "models are loading")
        return {"status": "ready"}

    @app.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def prometheus():
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    static = resources.files("skucut.serve") / "static"

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page():
        return HTMLResponse((static / "index.html").read_text())

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app


def _finish(job: asyncio.Future, admission: Admission, metrics: ServiceMetrics) -> None:
    admission.release()
    metrics.in_flight.set(admission.running)
    if not job.cancelled():
        job.exception()  # retrieved here, so an overrun job's error is not reported as lost


def _request_body(multiple: bool) -> dict:
    """OpenAPI description of the body, which the endpoint parses itself."""
    part = "files" if multiple else "file"
    file_schema = {"type": "string", "format": "binary"}
    properties = {
        part: {"type": "array", "items": file_schema} if multiple else file_schema,
        "bg_file": file_schema,
    }
    content = {"multipart/form-data": {"schema": {"type": "object", "properties": properties}}}
    if not multiple:
        content["application/octet-stream"] = {"schema": file_schema}
    return {"content": content}


def _unique(stem: str, extension: str, used: set[str]) -> str:
    name, n = f"{stem}.{extension}", 1
    while name in used:
        n += 1
        name = f"{stem}-{n}.{extension}"
    used.add(name)
    return name
