"""POST /v1/video: an async job (202 + id); GET /v1/video/{id}: its state and progress;
GET /v1/video/{id}/result: the video once done.

A job is admitted like any request (503 when the queue is full, before its body is read), its
upload is bounded by the body limit, and it keeps its admission place until it ends, so video
jobs count against the same limits as images. It runs in a heavy work slot (one heavy job at
a time), stops at the next frame once its deadline has passed, and writes its result to the
server's temporary folder; finished jobs are kept for a while and then deleted, oldest first.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse

from skucut.errors import SkucutError
from skucut.pipeline import RemoveOptions
from skucut.serve.errors import ApiError
from skucut.serve.limits import JobTimeout, QueueFull, SlotTimeout, Ticket
from skucut.serve.uploads import form_uploads, is_multipart, read_form, read_raw_body

MEDIA = {"webm": "video/webm", "mov": "video/quicktime", "webp": "image/webp", "mp4": "video/mp4"}
KEPT_JOBS = 32  # finished jobs (and their files) kept for GET; older ones are deleted
KEPT_SECONDS = 3600.0


@dataclass
class VideoJob:
    id: str
    folder: Path
    format: str
    state: str = "queued"  # queued | running | done | failed
    frames_done: int = 0
    frames_total: int | None = None
    error: str | None = None
    detail: str | None = None
    finished_at: float | None = None
    task: asyncio.Task | None = field(default=None, repr=False)

    @property
    def result(self) -> Path:
        return self.folder / f"result.{self.format}"

    def as_dict(self) -> dict:
        answer = {
            "id": self.id,
            "state": self.state,
            "frames_done": self.frames_done,
            "frames_total": self.frames_total,
        }
        if self.state == "done":
            answer["result_url"] = f"/v1/video/{self.id}/result"
        if self.error:
            answer.update(error=self.error, detail=self.detail)
        return answer


class VideoJobs:
    """The jobs of one server, their files under one temporary folder."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="skucut-video-"))
        self.jobs: OrderedDict[str, VideoJob] = OrderedDict()

    def create(self, fmt: str) -> VideoJob:
        self.expire()
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        folder.mkdir()
        job = VideoJob(job_id, folder, fmt)
        self.jobs[job_id] = job
        return job

    def get(self, job_id: str) -> VideoJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise ApiError(404, "unknown_job", "no such video job (or it expired)")
        return job

    def expire(self) -> None:
        finished = [j for j in self.jobs.values() if j.finished_at is not None]
        now = time.monotonic()
        for job in finished:
            if len(finished) > KEPT_JOBS or now - job.finished_at > KEPT_SECONDS:
                self.drop(job)
                finished.remove(job)

    def drop(self, job: VideoJob) -> None:
        self.jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def run_video_job(job: VideoJob, options: RemoveOptions, smooth: bool, settings, deadline: float):
    """The job itself, in a worker thread inside a heavy work slot."""
    from skucut.video import remove_video

    def progress(done: int, total: int | None) -> None:
        job.frames_done, job.frames_total = done, total

    def checkpoint() -> None:
        if time.monotonic() > deadline:
            raise JobTimeout

    job.state = "running"
    remove_video(
        job.folder / "input",
        job.result,
        options,
        smooth=smooth,
        max_seconds=settings.video_max_seconds,
        progress=progress,
        checkpoint=checkpoint,
    )


def add_video_routes(app: FastAPI, settings, guarded: list, check_model, metrics) -> VideoJobs:
    jobs = VideoJobs()

    async def finish(job: VideoJob, ticket: Ticket, options: RemoveOptions, smooth: bool):
        """Run the job in a heavy slot; record how it ended; give its place back."""
        async with ticket:
            try:
                await ticket.run(
                    run_video_job, job, options, smooth, settings, ticket.deadline, heavy=True
                )
                job.state = "done"
            except SlotTimeout:
                job.state, job.error, job.detail = "failed", "busy", "no free slot in time"
            except JobTimeout:
                job.state, job.error = "failed", "timeout"
                job.detail = f"not done within {settings.video_timeout_s:g} s"
            except SkucutError as exc:
                job.state, job.error, job.detail = "failed", exc.code, str(exc)
            except ValueError as exc:
                job.state, job.error, job.detail = "failed", "invalid_option", str(exc)
            except Exception as exc:  # a bug: the job says so, the server stays up
                job.state, job.error, job.detail = "failed", "error", type(exc).__name__
            finally:
                job.finished_at = time.monotonic()
                if job.state == "failed":
                    metrics.rejected.labels(job.error if job.error == "timeout" else "video").inc()

    @app.post(
        "/v1/video",
        summary="Start removing the background of a video; answers 202 and a job id",
        description="The video as a multipart 'file' part or the raw body (the upload limit "
        "applies). format: webm (VP9 + alpha, default), mov (ProRes 4444 + alpha), webp "
        "(animated, alpha) or mp4 (H.264; needs bg_color). Poll GET /v1/video/{id}.",
        status_code=202,
        dependencies=guarded,
    )
    async def start(
        request: Request,
        format: Annotated[Literal["webm", "mov", "webp", "mp4"], Query()] = "webm",
        model: Annotated[str | None, Query()] = None,
        refine: Annotated[Literal["none", "guided", "fast", "quality"] | None, Query()] = None,
        bg_color: Annotated[str | None, Query(description="white, #f0f0f0 or 255,255,255")] = None,
        mask: Annotated[bool, Query(description="the alpha as a grey video")] = False,
        smooth: Annotated[bool, Query(description="temporal smoothing of the alpha")] = True,
    ):
        try:
            options = RemoveOptions.build(
                model=check_model(model),
                refine=refine,
                bg_color=bg_color or None,
                mask=mask or None,
                max_pixels=settings.max_pixels,
            )
        except ValueError as exc:
            raise ApiError(422, "invalid_option", str(exc)) from None
        if format == "mp4" and options.bg_color is None and not options.mask:
            raise ApiError(422, "invalid_option", "mp4 has no alpha: give bg_color or mask")
        try:
            ticket = request.app.state.admission.admit(settings.video_timeout_s)
        except QueueFull:
            metrics.rejected.labels("queue_full").inc()
            raise ApiError(503, "busy", "server busy, retry later", {"Retry-After": "5"}) from None
        job = None
        try:
            if is_multipart(request):
                uploads = form_uploads(await read_form(request, ticket), "file")
                if not uploads:
                    raise ApiError(400, "no_video", "send the video as a 'file' part or raw body")
                upload = uploads[0]
            else:
                upload = await read_raw_body(request, ticket)
            job = jobs.create(format)
            await asyncio.to_thread(_save, upload, job.folder / "input")
        except BaseException:
            if job is not None:
                jobs.drop(job)
            await ticket.__aexit__(None, None, None)  # its place is given back
            raise
        job.task = asyncio.create_task(finish(job, ticket, options, smooth))
        return {**job.as_dict(), "status_url": f"/v1/video/{job.id}"}

    @app.get("/v1/video/{job_id}", summary="A video job's state and progress", dependencies=guarded)
    async def state(job_id: str):
        return jobs.get(job_id).as_dict()

    @app.get(
        "/v1/video/{job_id}/result",
        summary="A finished video job's result",
        response_class=FileResponse,
        dependencies=guarded,
    )
    async def result(job_id: str):
        job = jobs.get(job_id)
        if job.state != "done":
            detail = job.detail if job.state == "failed" else f"the job is {job.state}"
            raise ApiError(409, job.error or "not_done", detail)
        return FileResponse(job.result, media_type=MEDIA[job.format])

    return jobs


def _save(upload, path: Path) -> None:
    """The spooled upload to a file PyAV can open (copied in chunks, not read into memory)."""
    if upload.error is not None:
        raise upload.error
    upload.file.seek(0)
    with path.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    if path.stat().st_size == 0:
        raise ApiError(400, "no_video", "the video is empty")
