"""Bounded work: a cap on request bodies, and admission with a bounded queue.

Memory stays bounded under any load: at most ``concurrency`` images are decoded at once, at
most ``queue_size`` requests wait, and everyone else is told to come back later (503).
"""

from __future__ import annotations

import asyncio

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse


class QueueFull(Exception):
    pass


class Admission:
    """At most ``concurrency`` jobs run; at most ``queue_size`` wait; others get QueueFull."""

    def __init__(self, concurrency: int, queue_size: int):
        self._slots = asyncio.Semaphore(concurrency)
        self.queue_size = queue_size
        self.waiting = 0
        self.running = 0

    async def acquire(self) -> None:
        if self._slots.locked() and self.waiting >= self.queue_size:
            raise QueueFull
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1

    def release(self) -> None:
        self.running -= 1
        self._slots.release()


class BodyLimit:
    """ASGI middleware: bodies over ``max_bytes`` get a JSON 413.

    A declared Content-Length is refused before reading; a chunked body is counted as it
    arrives and the reader gets an HTTPException(413), which the app turns into JSON.
    """

    def __init__(self, app, max_bytes: int, on_reject=None):
        self.app = app
        self.max_bytes = max_bytes
        self.on_reject = on_reject or (lambda: None)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            self.on_reject()
            detail = f"request body over {self.max_bytes} bytes"
            response = JSONResponse({"error": "too_large", "detail": detail}, status_code=413)
            return await response(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                self.on_reject()
                raise HTTPException(413, f"request body over {self.max_bytes} bytes")
            return message

        await self.app(scope, limited_receive, send)
