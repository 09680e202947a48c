"""Bounded work: a cap on request bodies, and admission with a bounded queue.

Memory stays bounded under any load. A request is admitted (or told 503) before a byte of its
body is read: at most ``concurrency + queue_size`` requests are admitted at once, and their
bodies go to spooled temporary files, not memory. Only ``concurrency`` jobs hold images in
memory at once: a job reads its upload, decodes and processes it inside a work slot.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import anyio
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse


class QueueFull(Exception):
    pass


class SlotTimeout(Exception):
    """No work slot came free before the request's deadline."""


class JobTimeout(Exception):
    """The job did not finish before the request's deadline (it stops at its next step)."""


class Admission:
    """At most ``concurrency`` jobs run; at most ``concurrency + queue_size`` requests are
    admitted (uploading, waiting or running); others get QueueFull."""

    def __init__(self, concurrency: int, queue_size: int):
        self._slots = asyncio.Semaphore(concurrency)
        # Heavy jobs (large canvases: tens of bytes a pixel) also take this single permit, so
        # memory is one heavy job plus light ones, never ``concurrency`` heavy ones.
        self._heavy = asyncio.Semaphore(1)
        self.capacity = concurrency + queue_size
        self.admitted = 0
        self.running = 0

    @property
    def waiting(self) -> int:
        return self.admitted - self.running

    def admit(self, timeout_s: float) -> Ticket:
        if self.admitted >= self.capacity:
            raise QueueFull
        self.admitted += 1
        return Ticket(self, time.monotonic() + timeout_s)

    async def acquire(self, heavy: bool) -> None:
        if heavy:
            await self._heavy.acquire()
        try:
            await self._slots.acquire()
        except BaseException:  # cancelled by the deadline: give the heavy permit back
            if heavy:
                self._heavy.release()
            raise
        self.running += 1

    def release(self, heavy: bool) -> None:
        self.running -= 1
        self._slots.release()
        if heavy:
            self._heavy.release()


class Ticket:
    """One admitted request. Its place is given back once the request has answered *and* its
    last job has really ended: a worker thread cannot be killed, so a job that overruns its
    deadline keeps its work slot and its place until it stops (at its next step, see
    ``deadline``), and timeouts never multiply the work in progress."""

    def __init__(self, admission: Admission, deadline: float):
        self.admission, self.deadline = admission, deadline
        self._holds = 1  # the request itself, plus one per running job
        self._cleanups: list[Callable[[], object]] = []

    @property
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def on_release(self, cleanup: Callable[[], object]) -> None:
        """Run ``cleanup`` (e.g. close the spooled uploads) when nothing uses the request."""
        self._cleanups.append(cleanup)

    async def __aenter__(self) -> Ticket:
        return self

    async def __aexit__(self, *exc_info) -> None:
        self._drop()

    async def run(self, fn: Callable, *args, heavy: bool = False):
        """``fn(*args)`` in a worker thread once a work slot is free, within the deadline."""
        try:
            await asyncio.wait_for(self.admission.acquire(heavy), self.remaining)
        except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
            raise SlotTimeout from None
        self._holds += 1
        job = asyncio.ensure_future(anyio.to_thread.run_sync(fn, *args))
        job.add_done_callback(lambda done: self._job_done(done, heavy))
        try:
            return await asyncio.wait_for(asyncio.shield(job), self.remaining)
        except asyncio.TimeoutError:
            raise JobTimeout from None

    def _job_done(self, job: asyncio.Future, heavy: bool) -> None:
        self.admission.release(heavy)
        if not job.cancelled():
            job.exception()  # retrieved here, so an overrun job's error is not reported as lost
        self._drop()

    def _drop(self) -> None:
        self._holds -= 1
        if self._holds == 0:
            self.admission.admitted -= 1
            for cleanup in self._cleanups:
                cleanup()


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
