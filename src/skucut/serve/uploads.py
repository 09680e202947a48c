"""Request bodies in, images out: spooled to temporary files as they arrive, read into memory
only by the job that processes them (inside its work slot, see limits.py)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from fastapi import Request, UploadFile
from starlette.datastructures import FormData
from starlette.requests import ClientDisconnect

from skucut.serve.errors import ApiError
from skucut.serve.limits import Ticket

SPOOL_BYTES = 1024 * 1024  # what Starlette keeps in memory of a multipart file, too
MAX_STEM = 100


@dataclass(frozen=True)
class Upload:
    """One image of a request: a spooled file, or why its part is not one."""

    filename: str  # as the client sent it ("" when none)
    part: int  # position among the request's image parts, from 1
    file: BinaryIO | None = None
    error: ApiError | None = None

    def read(self) -> bytes:
        """The bytes (call it in a worker thread: a spooled file may be on disk)."""
        if self.error is not None:
            raise self.error
        self.file.seek(0)
        return self.file.read()

    @property
    def stem(self) -> str:
        return safe_stem(self.filename) or f"image-{self.part}"


def safe_stem(filename: str) -> str:
    """A ZIP entry stem from a client's file name: its last path part after either kind of
    slash, without the extension, reduced to letters, digits, '-', '_' and inner dots."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    return re.sub(r"[^\w.-]+", "_", stem).strip("._")[:MAX_STEM]


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


def spooled_file(ticket: Ticket | None = None) -> BinaryIO:
    """A temporary file kept in memory up to SPOOL_BYTES; closed with ``ticket``, if given."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by the ticket or the caller)
    if ticket is not None:
        ticket.on_release(spool.close)
    return spool


async def read_raw_body(request: Request, ticket: Ticket) -> Upload:
    """The raw body as one image, spooled while it arrives."""
    spool = spooled_file(ticket)
    writer = UploadFile(spool)  # writes to disk in a thread once the spool has rolled over
    await _within(ticket, _copy(request.stream(), writer))
    if spool.tell() == 0:
        raise ApiError(400, "no_image", "send the image as a 'file' part, a raw body or a url")
    return Upload("", 1, spool)


async def read_form(request: Request, ticket: Ticket) -> FormData:
    """The parsed multipart form; its files are closed when the request is done with them."""
    form = await _within(ticket, request.form())
    ticket.on_release(lambda: _close_files(form))
    return form


def form_uploads(form: FormData, field: str) -> list[Upload]:
    """Every part named ``field``; a part that is not a file is kept, as an error to report."""
    uploads = []
    for number, part in enumerate(form.getlist(field), 1):
        if isinstance(part, str):
            detail = f"part {number} of '{field}' is a text field, not a file (no filename)"
            uploads.append(Upload("", number, error=ApiError(400, "not_a_file", detail)))
        else:
            uploads.append(Upload(part.filename or "", number, part.file))
    return uploads


async def _copy(chunks: AsyncIterator[bytes], writer: UploadFile) -> None:
    async for chunk in chunks:
        await writer.write(chunk)


async def _within(ticket: Ticket, reading):
    """Await ``reading`` within the request's deadline: a slow upload is cut off."""
    try:
        return await asyncio.wait_for(reading, max(ticket.remaining, 0))
    except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
        raise ApiError(408, "upload_timeout", "the request body did not arrive in time") from None
    except ClientDisconnect:
        raise ApiError(400, "incomplete_body", "the client went away during the upload") from None


def _close_files(form: FormData) -> None:
    for _, value in form.multi_items():
        if not isinstance(value, str):
            value.file.close()
