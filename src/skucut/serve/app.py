"""The HTTP API and the web page: ``create_app(settings)`` builds a FastAPI app.

Models are loaded once, in the lifespan. A request is checked (API key), then admitted or told
503 before a byte of its body is read; its images are read, decoded and processed in worker
threads inside bounded work slots (limits.py). Every error is JSON ``{"error": code,
"detail": ...}`` (errors.py).
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import time
import zipfile
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, BinaryIO, NamedTuple

import anyio
import numpy as np
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.datastructures import FormData

from skucut._version import __version__
from skucut.errors import SkucutError
from skucut.explain import explain_png, uncertainty_png
from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, encode, render
from skucut.presets import BUILTIN
from skucut.review import Review
from skucut.serve.docs import install_docs
from skucut.serve.embed import embed_upload
from skucut.serve.errors import ApiError, error_response, install_error_handlers
from skucut.serve.feedback import Correction, FeedbackStore
from skucut.serve.fetch import FetchError, fetch
from skucut.serve.limits import Admission, BodyLimit, JobTimeout, QueueFull, SlotTimeout, Ticket
from skucut.serve.metrics import ServiceMetrics
from skucut.serve.models import ServedModels
from skucut.serve.params import Options
from skucut.serve.settings import ServeSettings
from skucut.serve.uploads import (
    Upload,
    form_uploads,
    is_multipart,
    read_form,
    read_raw_body,
    spooled_file,
)
from skucut.serve.video import add_video_routes

MEDIA_TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg"}
API_ROUTES = {
    "/v1/remove",
    "/v1/remove/batch",
    "/v1/feedback",
    "/v1/embed",
    "/v1/video",
    "/v1/config",
    "/v1/models",
    "/v1/presets",
}
ACCEPTED = {"image/png": "png", "image/webp": "webp", "image/jpeg": "jpg", "image/jpg": "jpg"}


def negotiated_format(accept: str | None) -> str | None:
    """The first image type in Accept that we can write (q-values in listed order)."""
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media in ACCEPTED:
            return ACCEPTED[media]
    return None


def key_checker(api_keys: frozenset[str]):
    """A dependency refusing requests without a valid X-API-Key (no keys: everyone passes).

    Compared as bytes: the header arrives as Latin-1 text, so any byte a client sends can be
    compared (a non-ASCII key is a 403, not a crash); an empty header is never a key."""
    known = [key.encode() for key in api_keys]

    def check_key(request: Request) -> None:
        if not known:
            return
        given = request.headers.get("x-api-key", "")
        if not given:
            raise ApiError(401, "unauthorized", "missing X-API-Key header")
        if not any(hmac.compare_digest(given.encode("latin-1"), key) for key in known):
            raise ApiError(403, "forbidden", "invalid API key")

    return check_key


class Background:
    """An uploaded background photo, decoded once, by the first job that needs it."""

    def __init__(self, upload: Upload, max_pixels: int):
        self.upload, self.max_pixels = upload, max_pixels
        self._rgb: np.ndarray | None = None

    def rgb(self) -> np.ndarray:
        if self._rgb is None:
            try:
                self._rgb = decode_image(self.upload.read(), self.max_pixels).rgb
            except SkucutError as exc:
                raise ApiError.of(exc, "background", whole_request=True) from None
        return self._rgb


@dataclasses.dataclass(frozen=True)
class RequestOptions(RemoveOptions):
    """RemoveOptions plus what only an HTTP answer has: ``explain`` (the explain picture
    answers /v1/remove instead of the cutout; /v1/remove/batch adds explain/NAME.png) and
    ``uncertainty`` (the uncertainty map answers instead: the page's editor shows it)."""

    explain: bool = False
    uncertainty: bool = False


class Answer(NamedTuple):
    data: bytes  # the encoded result
    review: Review  # without its maps
    picture: bytes | None  # the explain picture or uncertainty map (PNG), when asked for


def process(
    image: Upload, options: RemoveOptions, background: Background | None, deadline: float
) -> Answer:
    """One image, in a worker thread inside a work slot. Between steps it gives up once the
    request's deadline has passed: its answer (504) is gone and its slot is wanted."""

    def checkpoint() -> None:
        if time.monotonic() > deadline:
            raise JobTimeout

    try:
        decoded = decode_image(image.read(), options.max_pixels)
        checkpoint()
        backdrop = background.rgb() if background else None
        checkpoint()
        pixels, alpha, review = render(decoded, options, backdrop, checkpoint)
        checkpoint()
        picture = None
        if getattr(options, "uncertainty", False):
            picture = uncertainty_png(review)
        elif getattr(options, "explain", False):
            picture = explain_png(decoded.rgb, review)
        return Answer(encode(pixels, alpha, options), review.without_evidence(), picture)
    except SkucutError as exc:
        raise ApiError.of(exc) from None


def add_to_zip(archive: zipfile.ZipFile, name: str, *job) -> Review:
    """``process(*job)`` written into the archive, in the worker thread (it may be large)."""
    result = process(*job)
    archive.writestr(name, result.data)
    if result.picture is not None:
        folder = "uncertainty" if getattr(job[1], "uncertainty", False) else "explain"
        archive.writestr(f"{folder}/{name.rsplit('.', 1)[0]}.png", result.picture)
    return result.review


def review_headers(review: Review) -> dict[str, str]:
    """The review of one result, for clients that show which cutouts to check."""
    headers = {
        "X-Skucut-Confidence": f"{review.confidence:.4f}",
        "X-Skucut-Needs-Review": "true" if review.needs_review else "false",
    }
    if review.reason:
        headers["X-Skucut-Review-Reason"] = review.reason
    if review.reasons:  # every reason, also of a cutout that needs no review; JSON list
        headers["X-Skucut-Reasons"] = json.dumps(list(review.reasons))
    if review.enhancement is not None:  # what enhance measured and did; JSON (ASCII)
        headers["X-Skucut-Enhance"] = json.dumps(review.enhancement.as_dict())
    return headers


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings()
    metrics = ServiceMetrics()
    served = ServedModels.of(settings.models)
    feedback = _feedback_store(settings)
    state = {"ready": False}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.admission = Admission(settings.concurrency, settings.queue_size)
        metrics.watch(app.state.admission)
        await anyio.to_thread.run_sync(served.load)  # each model once, before the first request
        state["ready"] = True
        yield
        state["ready"] = False

    app = FastAPI(
        title="skucut",
        version=__version__,
        description="Background removal for product photos.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load Swagger UI from a CDN; install_docs serves it
        redoc_url=None,
    )
    install_docs(app)
    install_error_handlers(app)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_upload_bytes,
        on_reject=metrics.rejected.labels("too_large").inc,
    )

    @app.middleware("http")
    async def _observe(request: Request, call_next):
        route = request.url.path if request.url.path in API_ROUTES else "other"  # bounded labels
        started = time.perf_counter()
        response = await call_next(request)
        metrics.requests.labels(route, str(response.status_code)).inc()
        metrics.latency.labels(route).observe(time.perf_counter() - started)
        return response

    # The key is checked before anything else about the request, options included.
    guarded = [Depends(key_checker(settings.api_keys))]

    def admit(request: Request) -> Ticket:
        try:
            return request.app.state.admission.admit(settings.timeout_s)
        except QueueFull:
            metrics.rejected.labels("queue_full").inc()
            raise ApiError(503, "busy", "server busy, retry later", {"Retry-After": "2"}) from None

    def is_heavy(options: RemoveOptions) -> bool:
        """A job that may need gigabytes: a large canvas (composed at tens of bytes a pixel)
        or an explicit upscale. Such jobs run one at a time (see Admission)."""
        canvas = options.canvas[0] * options.canvas[1] if options.canvas else 0
        return canvas > settings.heavy_pixels or options.upscale in ("2", "4")

    async def run_job(ticket: Ticket, fn, *args, heavy: bool = False):
        try:
            return await ticket.run(fn, *args, heavy=heavy)
        except SlotTimeout:
            metrics.rejected.labels("timeout").inc()
            raise ApiError(503, "busy", "no free slot in time", {"Retry-After": "5"}) from None
        except JobTimeout:
            metrics.rejected.labels("timeout").inc()
            detail = (
                f"not done within {settings.timeout_s:g} s; the work stops at its next step "
                "(until then its slot stays busy)"
            )
            raise ApiError(504, "timeout", detail) from None

    def build_options(given: dict, accept: str | None) -> RemoveOptions:
        given = {k: v for k, v in given.items() if v not in (None, "")}
        if "format" not in given and not given.get("preset"):
            given["format"] = negotiated_format(accept)
        preset = given.pop("preset", None)
        try:
            options = RequestOptions.build(preset, max_pixels=settings.max_pixels, **given)
        except ValueError as exc:
            raise ApiError(422, "invalid_option", str(exc)) from None
        return dataclasses.replace(options, model=served.check(options.model))

    def form_options(form: FormData) -> dict:
        fields = {
            k: v
            for k, v in form.items()
            if isinstance(v, str) and v != "" and k in Options.model_fields
        }
        try:
            return Options(**fields).given()
        except ValidationError as exc:
            detail = [{"loc": ["form", *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
            raise ApiError(422, "invalid_request", detail) from None

    async def read_request(request: Request, query: Options, ticket: Ticket, multiple: bool):
        """(images, options, background) from a multipart form or a raw image body.

        Form fields carry the same options as the query string and take precedence.
        """
        accept = None if multiple else request.headers.get("accept")
        if not is_multipart(request):
            options = build_options(query.given(), accept)  # refused before the body is read
            return [await read_raw_body(request, ticket)], options, None
        form = await read_form(request, ticket)
        images = form_uploads(form, "files" if multiple else "file")
        if not images:
            part = "'files' parts" if multiple else "a 'file' part, a raw body or a url"
            raise ApiError(400, "no_image", f"send the image(s) as {part}")
        options = build_options({**query.given(), **form_options(form)}, accept)
        backgrounds = form_uploads(form, "bg_file")
        if backgrounds and backgrounds[0].error:
            raise backgrounds[0].error
        background = Background(backgrounds[0], settings.max_pixels) if backgrounds else None
        return images, options, background

    async def fetch_url(url: str, ticket: Ticket) -> Upload:
        sink = spooled_file(ticket)
        timeout_s = max(0.0, min(settings.url_timeout_s, ticket.remaining))
        try:
            await anyio.to_thread.run_sync(fetch, url, sink, settings.url_max_bytes, timeout_s)
        except FetchError as exc:
            raise ApiError(exc.status, "url_refused", str(exc)) from None
        return Upload("url", 1, sink)

    @app.post(
        "/v1/remove",
        summary="Remove the background of one image",
        description="The image comes as a multipart 'file' part (options may also be form "
        "fields, and 'bg_file' a background photo), as the raw request body, or by url.",
        openapi_extra={"requestBody": _request_body(multiple=False)},
        responses={200: {"content": {t: {} for t in MEDIA_TYPES.values()}}},
        dependencies=guarded,
    )
    async def remove(
        request: Request,
        query: Annotated[Options, Query()],
        url: Annotated[str | None, Query(description="fetch the image here")] = None,
    ):
        if url and not settings.allow_url:
            raise ApiError(403, "url_disabled", "url input is turned off on this server")
        async with admit(request) as ticket:
            if url:
                options = build_options(query.given(), request.headers.get("accept"))
                image, background = await fetch_url(url, ticket), None
            else:
                images, options, background = await read_request(request, query, ticket, False)
                image = images[0]
                if image.error:
                    raise image.error
            job = (image, options, background, ticket.deadline)
            result = await run_job(ticket, process, *job, heavy=is_heavy(options))
        metrics.observe_review(result.review)
        if result.picture is not None:
            headers = review_headers(result.review)
            return Response(result.picture, media_type="image/png", headers=headers)
        media = "image/png" if options.mask else MEDIA_TYPES[options.format]
        return Response(result.data, media_type=media, headers=review_headers(result.review))

    @app.post(
        "/v1/remove/batch",
        summary="Remove the backgrounds of several images; answers a ZIP",
        description="Images as multipart 'files' parts; a file that fails is listed in "
        "errors.json inside the ZIP and the others are still processed.",
        openapi_extra={"requestBody": _request_body(multiple=True)},
        responses={200: {"content": {"application/zip": {}}}},
        dependencies=guarded,
    )
    async def remove_batch(request: Request, query: Annotated[Options, Query()]):
        async with admit(request) as ticket:
            images, options, background = await read_request(request, query, ticket, True)
            if len(images) > settings.max_batch_files:
                raise ApiError(413, "too_many_files", f"at most {settings.max_batch_files} files")
            archive = spooled_file()  # outlives the request: the response streams, then closes it
            try:
                await write_zip(ticket, archive, images, options, background)
            except BaseException:
                ticket.on_release(archive.close)  # once an overrunning job stopped writing
                raise
        return _zip_response(archive)

    async def write_zip(ticket: Ticket, file: BinaryIO, images: list[Upload], *job) -> None:
        """Each image's result as an entry with a safe, unique name and its review in
        report.json; failures in errors.json (a list: two failed files of the same name are
        both there)."""
        errors, report, used = [], [], set()
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
            for image in images:
                name = _unique(image.stem, job[0].extension, used)
                try:
                    args = (archive, name, image, *job, ticket.deadline)
                    review = await run_job(ticket, add_to_zip, *args, heavy=is_heavy(job[0]))
                    metrics.observe_review(review)
                    report.append({"file": image.filename, "output": name, **review.as_dict()})
                except ApiError as exc:
                    if exc.whole_request:
                        raise
                    used.discard(name)
                    errors.append(
                        {
                            "file": image.filename,
                            "part": image.part,
                            "error": exc.code,
                            "detail": exc.detail,
                        }
                    )
            if errors:
                archive.writestr("errors.json", json.dumps(errors, indent=2))
            archive.writestr("report.json", json.dumps(report, indent=2))

    @app.post(
        "/v1/feedback",
        summary="Send a corrected result back, to fine-tune the model on (off by default)",
        description="Multipart: 'photo' (the original), 'alpha' (the corrected alpha: a grey "
        "PNG or the alpha of an RGBA PNG, the photo's size), 'model' and 'options' (JSON) as "
        "used. Stored as a training pair when the server runs with --feedback-dir; 403 "
        "otherwise, 507 when its folder is full.",
        openapi_extra={"requestBody": _feedback_body()},
        responses={200: {"content": {"application/json": {}}}},
        dependencies=guarded,
    )
    async def send_feedback(request: Request):
        try:
            if feedback is None:
                raise ApiError(403, "feedback_disabled", "feedback is turned off on this server")
            if not is_multipart(request):
                raise ApiError(400, "not_multipart", "send a multipart form: photo, alpha")
            async with admit(request) as ticket:
                form = await read_form(request, ticket)
                correction = Correction.from_form(form, served)
                saved = await run_job(ticket, feedback.save, correction)
        except ApiError:
            metrics.feedback.labels("refused").inc()
            raise
        metrics.feedback.labels("accepted").inc()
        return saved

    @app.post(
        "/v1/embed",
        summary="A product's vector for similar-item search",
        description="The image as a multipart 'file' part or the raw body. The vector (L2 "
        "norm 1; compare by dot product) is of the product cut out and centred on grey, so "
        "the backdrop does not decide similarity; cutout=false embeds the whole photo.",
        openapi_extra={"requestBody": _request_body(multiple=False)},
        responses={200: {"content": {"application/json": {}}}},
        dependencies=guarded,
    )
    async def embed(
        request: Request,
        model: Annotated[str | None, Query(description="model that cuts the product out")] = None,
        cutout: Annotated[bool, Query(description="embed the cutout, not the photo")] = True,
    ):
        model = served.check(model)
        async with admit(request) as ticket:
            if is_multipart(request):
                images = form_uploads(await read_form(request, ticket), "file")
                if not images:
                    raise ApiError(400, "no_image", "send the image as a 'file' part or raw body")
                image = images[0]
                if image.error:
                    raise image.error
            else:
                image = await read_raw_body(request, ticket)
            job = (image, model, cutout, settings.max_pixels, ticket.deadline)
            return await run_job(ticket, embed_upload, *job)

    add_video_routes(app, settings, guarded, served.check, metrics)

    @app.get("/v1/config", summary="What this server offers the web page")
    async def config():
        return {
            "feedback": feedback is not None,
            "api_key_required": bool(settings.api_keys),
            "default_model": served.default,
            "max_upload_bytes": settings.max_upload_bytes,
            "max_batch_files": settings.max_batch_files,
        }

    @app.get("/v1/models", summary="Served models (and upscalers) with their measured metrics")
    async def models():
        return {
            "default": served.default,
            "models": [
                {"name": m.name, "task": m.task, "size_bytes": m.size_bytes, "metrics": m.metrics}
                for m in served.describe()
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


def _feedback_store(settings: ServeSettings) -> FeedbackStore | None:
    if settings.feedback_dir is None:
        return None
    return FeedbackStore(
        Path(settings.feedback_dir),
        settings.feedback_max_pairs,
        settings.feedback_max_bytes,
        settings.max_pixels,
    )


def _zip_response(archive: BinaryIO) -> StreamingResponse:
    size = archive.tell()

    async def chunks():
        try:
            archive.seek(0)
            while chunk := await anyio.to_thread.run_sync(archive.read, 1 << 20):
                yield chunk
        finally:
            archive.close()

    headers = {
        "Content-Disposition": 'attachment; filename="skucut.zip"',
        "Content-Length": str(size),
    }
    return StreamingResponse(chunks(), media_type="application/zip", headers=headers)


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


def _feedback_body() -> dict:
    binary = {"type": "string", "format": "binary"}
    properties = {"photo": binary, "alpha": binary, "model": {"type": "string"}}
    properties["options"] = {"type": "string", "description": "JSON object of options"}
    schema = {"type": "object", "properties": properties, "required": ["photo", "alpha"]}
    return {"content": {"multipart/form-data": {"schema": schema}}}


def _unique(stem: str, extension: str, used: set[str]) -> str:
    name, n = f"{stem}.{extension}", 1
    while name in used:
        n += 1
        name = f"{stem}-{n}.{extension}"
    used.add(name)
    return name
