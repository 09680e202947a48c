"""Cutting out a set of files, shared by `skucut remove` and its hot folder (`--watch`): one
job (read, cut, write atomically, never over an input), the run's tally and summary, and a
bounded, ordered map over a thread pool."""

from __future__ import annotations

import errno
import os
import stat
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

from skucut._files import write_atomic
from skucut.enhance import Enhancement, enhance_line
from skucut.errors import SkucutError
from skucut.explain import explain_png
from skucut.io import decode_image
from skucut.pipeline import RemoveOptions, encode, remove_bytes, render
from skucut.review import Review


def read_regular_file(path: Path) -> bytes:
    """The file's bytes; a FIFO, device, folder or broken link is an error, never a hang."""
    try:
        mode = path.stat().st_mode  # follows links: a looping or dangling one fails here
    except OSError as exc:
        kind = "broken or looping link" if path.is_symlink() else "cannot read"
        raise OSError(exc.errno, f"{kind}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder, not an image")
    if not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, "not a regular file (FIFO, socket or device)")
    return path.read_bytes()


@dataclass
class Tally:
    """What a run did: its summary line, review list and exit code."""

    done: int = 0
    skipped: int = 0  # --skip-existing left the output that was there
    failed: int = 0
    flagged: list[tuple[Path, Review]] = field(default_factory=list)
    enhanced: list[Enhancement] = field(default_factory=list)  # with --enhance
    last_error: SkucutError | None = None
    started: float = field(default_factory=time.perf_counter)

    def record(self, path: Path, outcome: Review | Exception | None, say: Callable) -> None:
        if isinstance(outcome, Exception):
            self.failed += 1
            self.last_error = outcome if isinstance(outcome, SkucutError) else None
            say(f"skucut: error: {path}: {one_line(outcome)}")
            return
        if outcome is None:
            self.skipped += 1
            return
        self.done += 1
        if outcome.enhancement is not None:
            self.enhanced.append(outcome.enhancement)
        if outcome.needs_review:
            self.flagged.append((path, outcome))

    def line(self) -> str:
        """``N done, N skipped, N failed, N need review (X images/s)``: skipped only when some
        were, and a speed only over images actually cut out (a skip or a failure costs next
        to nothing, so counting them would flatter it)."""
        parts = [f"{self.done} done"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        parts += [f"{self.failed} failed", f"{len(self.flagged)} need review"]
        text = ", ".join(parts)
        if self.done:
            rate = self.done / max(time.perf_counter() - self.started, 1e-9)
            text += f" ({rate:.1f} images/s)"
        return text

    def finish(self, review_list: str | None) -> int:
        """Write the review list, print the summary line; the exit code."""
        if review_list:
            lines = "".join(f"{path}\t{review.reason}\n" for path, review in self.flagged)
            write_atomic(Path(review_list), lines.encode())
        if self.flagged:  # before the summary, which stays the run's last line
            print(f"skucut: why: {reason_counts(r for _, r in self.flagged)}", file=sys.stderr)
        print(f"skucut: {self.line()}", file=sys.stderr)
        if self.enhanced:
            print(f"skucut: {enhance_line(self.enhanced)}", file=sys.stderr)
        if not self.failed:
            return 0
        single = self.last_error is not None and self.failed == 1 and not self.done + self.skipped
        return self.last_error.exit_code if single else 1


def reason_counts(reviews: Iterable[Review]) -> str:
    """How often each kind of reason came up: "2 person in the cutout, 1 tiny product"."""
    counts = Counter(reason_kind(said) for review in reviews for said in review.reasons)
    return ", ".join(f"{n} {kind}" for kind, n in counts.most_common())


def reason_kind(said: str) -> str:
    """A reason without its numbers and places ("unsure region at the top left" -> "unsure
    region"), to count them."""
    kind = said.split(" (")[0].split(" at the ")[0]
    return "separate parts" if kind.endswith("separate parts") else kind


def processor(
    options: RemoveOptions,
    skip_existing: bool,
    inputs: set[str],
    explain_names: dict[Path, Path] | None = None,
) -> Callable:
    """``process((path, target))``: the cutout's review, None when an existing output was
    left, or the error (one bad image never stops the rest). With ``explain_names``
    (target -> picture), each photo's explain picture is written too."""

    def process(job: tuple[Path, Path]) -> Review | Exception | None:
        path, target = job
        try:
            if os.path.realpath(target) in inputs | {os.path.realpath(path)}:
                raise FileExistsError("output would overwrite an input; choose another -o")
            if skip_existing and target.exists():
                return None
            if not explain_names:
                result = remove_bytes(read_regular_file(path), options)
                write_atomic(target, result.data)
                return result.review.without_evidence()
            decoded = decode_image(read_regular_file(path), options.max_pixels)
            pixels, alpha, review = render(decoded, options)
            write_atomic(target, encode(pixels, alpha, options))
            write_atomic(explain_names[target], explain_png(decoded.rgb, review))
            return review.without_evidence()
        except Exception as exc:
            return exc

    return process


def one_line(exc: BaseException) -> str:
    """An error as one line: OSError's own words, otherwise the message (or the type)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    # Not one of ours: say what it was, so a bug report has something to go on.
    ours = isinstance(exc, SkucutError | ValueError)
    text = str(exc) if ours else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split()) or type(exc).__name__


def ordered_map(pool: Executor, fn: Callable, items: Iterable, ahead: int) -> Iterator:
    """``pool.map`` with at most ``ahead`` items in flight, so a huge folder is not queued (and
    its results held) all at once; results come back in input order."""
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= ahead:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
