"""POST /v1/video as an async job against the real app, model and codecs."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("av")
pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from skucut.serve import ServeSettings, create_app
from tests.video.clips import iou, read_rgba, write_clip


def wait_done(client, job_id: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(f"/v1/video/{job_id}").json()
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {state}")


def test_video_job_end_to_end(tmp_path):
    clip = tmp_path / "clip.mp4"
    masks = write_clip(clip, frames=6, audio=False)
    with TestClient(create_app(ServeSettings())) as client:
        started = client.post("/v1/video?format=webm", content=clip.read_bytes())
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["state"] in ("queued", "running")
        assert client.get(f"/v1/video/{job['id']}/result").status_code in (409, 200)
        state = wait_done(client, job["id"])
        assert state["state"] == "done" and state["frames_done"] == 6, state
        result = client.get(state["result_url"])
        assert result.status_code == 200 and result.headers["content-type"] == "video/webm"
        (tmp_path / "out.webm").write_bytes(result.content)
        frames, _ = read_rgba(tmp_path / "out.webm")
        assert len(frames) == 6 and iou(frames[2][..., 3], masks[2]) > 0.85
        # Nothing left holding an admission place once the job ended.
        assert client.app.state.admission.admitted == 0


def test_video_job_errors(tmp_path):
    clip = tmp_path / "clip.mp4"
    write_clip(clip, frames=4, audio=False)
    settings = ServeSettings(queue_size=0, concurrency=1, video_max_seconds=0.05)
    with TestClient(create_app(settings)) as client:
        bad = client.post("/v1/video", content=b"not a video" * 100)
        assert bad.status_code == 202
        state = wait_done(client, bad.json()["id"])
        assert state["state"] == "failed" and state["error"] == "invalid_video", state
        assert client.get(f"/v1/video/{bad.json()['id']}/result").status_code == 409
        long = client.post("/v1/video", content=clip.read_bytes())
        assert wait_done(client, long.json()["id"])["error"] == "video_too_long"
        assert client.post("/v1/video?format=mp4", content=clip.read_bytes()).status_code == 422
        assert client.post("/v1/video?format=gif", content=b"x").status_code == 422
        assert client.get("/v1/video/nope").status_code == 404
        assert client.post("/v1/video", content=b"").status_code == 400
        assert client.app.state.admission.admitted == 0
