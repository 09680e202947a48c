"""Every answer that is not a result is JSON ``{"error": code, "detail": ...}``.

Known failures become their 4xx; anything unexpected becomes a JSON 500 whose traceback goes
to the server log only, and the client's keep-alive connection stays open.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from skucut.errors import SkucutError

log = logging.getLogger("skucut.serve")
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


class ApiError(Exception):
    """An answer to give; ``whole_request`` fails a batch instead of one of its files."""

    def __init__(
        self, status: int, code: str, detail, headers: dict | None = None, whole_request=False
    ):
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers
        self.whole_request = whole_request or status in (503, 504)

    @classmethod
    def of(cls, exc: SkucutError, what: str = "", whole_request: bool = False) -> ApiError:
        """The answer for a domain error: its own status and code (new error kinds fit in)."""
        detail = f"{what}: {exc}" if what else str(exc)
        return cls(exc.http_status, exc.code, detail, whole_request=whole_request)


def error_response(status: int, code: str, detail, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(CatchAll)  # first added = innermost: request metrics still see the 500

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return error_response(exc.status, exc.code, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError):
        detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return error_response(422, "invalid_request", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, exc.detail, exc.headers)


class CatchAll:
    """ASGI middleware: an unexpected exception becomes a JSON 500, logged with its traceback.

    Starlette's own last-resort handler re-raises after answering, and the server then closes
    the connection; answering here keeps it open for the client's next request.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:  # half an answer is out: only closing the connection can tell
                raise
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            response = error_response(500, "internal", "unexpected server error (logged)")
            await response(scope, receive, send)
