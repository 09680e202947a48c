"""The unit of work, shared by every engine: one input in, one output written, a Result out."""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from skucut.batch.items import is_video, item_options, output_uri
from skucut.batch.state import Task
from skucut.batch.storage import file_key, is_local, join, read_bytes, write_bytes
from skucut.enhance import Enhancement
from skucut.errors import SkucutError
from skucut.explain import explain_png
from skucut.io import decode_image
from skucut.pipeline import load_segmenter, remove_bytes
from skucut.review import Review
from skucut.video.run import remove_video

# The explain picture of each flagged image (skucut.explain), for the review sheet: in the run
# folder (never among the outputs), under the output's own name (+ .png). Local runs only: a
# Ray worker on another machine cannot reach the run folder.
EXPLAIN_FOLDER = "explain"


def explain_uri(explain_dir: str, output_root: str, output_uri: str) -> str:
    """Where the explain picture of the output at ``output_uri`` lives."""
    relative = output_uri[len(output_root.rstrip("/")) + 1 :]
    return join(explain_dir, f"{relative}.png")


@dataclass(frozen=True)
class Result:
    id: int
    output_uri: str | None = None
    checksum: str | None = None
    error: str | None = None
    permanent: bool = False  # retrying cannot help (a corrupt image, a bad option)
    review: Review | None = None  # of a done item: does a person need to look at it?

    def as_row(self) -> dict:
        """Plain columns (no None, no objects) for engines that ship results as tables."""
        review = self.review or Review(0.0, False)
        return {
            "id": self.id,
            "output_uri": self.output_uri or "",
            "checksum": self.checksum or "",
            "error": self.error or "",
            "permanent": self.permanent,
            "confidence": review.confidence,
            "needs_review": review.needs_review,
            "reason": review.reason,
            "enhance": json.dumps(review.enhancement.as_dict()) if review.enhancement else "",
        }

    @classmethod
    def from_row(cls, row) -> Result:
        """The inverse of ``as_row`` (numpy scalars welcome)."""
        done = not row["error"]
        review = Review(float(row["confidence"]), bool(row["needs_review"]), str(row["reason"]))
        if row["enhance"]:
            enhancement = Enhancement.from_dict(json.loads(str(row["enhance"])))
            review = dataclasses.replace(review, enhancement=enhancement)
        return cls(
            int(row["id"]),
            str(row["output_uri"]) if done else None,
            str(row["checksum"]) if done else None,
            None if done else str(row["error"]),
            bool(row["permanent"]),
            review if done else None,
        )


ROW_COLUMNS = tuple(Result(0).as_row())  # a table of results has them even when empty


def init_worker(model: str | None, parent: int | None = None) -> None:
    """One model session per worker, one thread each: the engine runs one worker per core."""
    if parent is not None:
        die_with_parent(parent)
    load_segmenter(model, threads=1)


def die_with_parent(parent: int) -> None:
    """A worker must not outlive an engine killed with SIGKILL (it would sit idle forever,
    or worse, still be writing when a resumed run starts): on Linux the kernel kills it."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


# A video is not reviewed frame by frame: its row says so rather than guess a confidence.
VIDEO_REVIEW = Review(1.0, False, "video: not reviewed")


def cut_video(source: str, uri: str, options) -> str:
    """A video item: cut in a scratch folder (PyAV reads and writes files), then stored at
    ``uri`` in one write, like an image; returns the checksum."""
    with tempfile.TemporaryDirectory(prefix="skucut-video-") as scratch:
        local = source.removeprefix("file://") if is_local(source) else None
        if local is None:
            local = str(Path(scratch) / f"in{PurePosixPath(source).suffix}")
            Path(local).write_bytes(read_bytes(source))
        out = Path(scratch) / f"out{PurePosixPath(uri).suffix}"
        remove_video(local, out, options)
        return write_bytes(uri, out.read_bytes())


def process(task: Task, base: dict, output_root: str, explain_dir: str | None = None) -> Result:
    try:
        options = item_options(base, task.options)
        uri = output_uri(output_root, task.output, options, task.source)
        # Checked again here: a preset file edited before --resume can change the extension.
        if file_key(uri) == file_key(task.source):
            raise ValueError(f"output {uri} would overwrite its input")
        if is_video(task.source):
            return Result(task.id, uri, cut_video(task.source, uri, options), review=VIDEO_REVIEW)
        data = read_bytes(task.source)
        result = remove_bytes(data, options)
        checksum = write_bytes(uri, result.data)
        review = result.review
        if explain_dir and review.needs_review and review.evidence is not None:
            rgb = decode_image(data, options.max_pixels).rgb
            write_bytes(explain_uri(explain_dir, output_root, uri), explain_png(rgb, review))
        return Result(task.id, uri, checksum, review=review.without_evidence())
    except (SkucutError, ValueError) as exc:
        return Result(task.id, error=str(exc), permanent=True)
    except OSError as exc:  # storage or network: may work next time
        return Result(task.id, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # anything else fails this image, never the whole run
        return Result(task.id, error=f"{type(exc).__name__}: {exc}", permanent=True)
