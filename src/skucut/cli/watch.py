"""skucut remove --watch DIR -o OUT: a hot folder, each photo cut out once it has arrived."""

from __future__ import annotations

import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from skucut.cli._common import fail
from skucut.cli._process import Tally, ordered_map, processor
from skucut.io.decode import IMAGE_EXTS
from skucut.pipeline import RemoveOptions


class HotFolder:
    """Photos arriving in a folder, each offered once it is complete.

    A file counts as complete once its size and modification time have not changed for
    ``settle`` seconds (a copy in progress keeps changing them). Hidden names (.x.jpg) and
    names that are not images (x.jpg.part) are never taken, so writing under a temporary name
    and renaming in works too. A file is offered again only if it changes."""

    def __init__(self, root: Path, settle: float, skip: Path):
        self.root, self.settle, self.skip = root, settle, skip.resolve()
        self._seen: dict[Path, tuple[int, int, float]] = {}  # size, mtime, unchanged since
        self._taken: dict[Path, tuple[int, int]] = {}

    @property
    def poll_s(self) -> float:
        return max(0.05, min(1.0, self.settle / 4))

    def complete(self) -> list[tuple[Path, Path]]:
        """(file, path relative to the folder) of photos complete and not yet taken."""
        now, found = time.monotonic(), []
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if any(part.startswith(".") for part in rel.parts):
                continue
            signature = _signature(path, self.skip)
            if signature is None or self._taken.get(path) == signature:
                continue
            seen = self._seen.get(path)
            if seen is None or seen[:2] != signature:
                self._seen[path] = (*signature, now)
            elif now - seen[2] >= self.settle and signature[0] > 0:
                found.append((path, rel))
        return found

    def take(self, path: Path) -> None:
        self._taken[path] = self._seen.pop(path)[:2]


def _signature(path: Path, skip: Path) -> tuple[int, int] | None:
    """(size, mtime) of a regular file named like an image outside ``skip`` (an output folder
    inside the watched one); None for anything else, or a file gone in between."""
    if path.suffix.lower() not in IMAGE_EXTS:
        return None
    try:
        found = path.stat()
        if not stat.S_ISREG(found.st_mode) or path.resolve().is_relative_to(skip):
            return None
    except OSError:  # gone in between, or a looping link
        return None
    return found.st_size, found.st_mtime_ns


def is_done(path: Path, target: Path) -> bool:
    """An output at least as new as its photo (an earlier run made it)."""
    try:
        return target.stat().st_mtime_ns >= path.stat().st_mtime_ns
    except OSError:
        return False


def watch(args, options: RemoveOptions, jobs: int) -> int:
    """Process photos as they arrive in args.watch until Ctrl+C (or SIGTERM); then the
    summary. The photos in flight are finished, nothing new is started."""
    root, out = Path(args.watch), Path(args.output)
    if not root.is_dir():
        fail(f"--watch {root}: not a folder")
        return 2
    if out.resolve() == root.resolve():
        fail("the output folder must not be the watched folder (outputs would be taken as new)")
        return 2
    folder, tally = HotFolder(root, args.settle, out), Tally()
    process = processor(options, skip_existing=False, inputs=set())
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    say(f"skucut: watching {root} -> {out} (Ctrl+C stops)")
    with _stopped_by_signals() as stop, ThreadPoolExecutor(jobs) as pool:
        while not stop.is_set():
            work = []
            for path, rel in folder.complete():
                target = out / rel.with_suffix("." + options.extension)
                if is_done(path, target):
                    folder.take(path)
                else:
                    work.append((path, target))
            pending = (job for job in work if not stop.is_set())  # none started after Ctrl+C
            results = ordered_map(pool, process, pending, 2 * jobs)
            for (path, target), outcome in zip(work, results, strict=False):  # fewer if stopped
                folder.take(path)
                tally.record(path, outcome, say)
                if not isinstance(outcome, Exception):
                    note = f" (needs review: {outcome.reason})" if outcome.needs_review else ""
                    say(f"skucut: {path} -> {target}{note}")
            stop.wait(folder.poll_s)
    return tally.finish(args.review_list)


@contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by the first Ctrl+C or SIGTERM; a second Ctrl+C interrupts at once."""
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        print("skucut: stopping after the photos in progress", file=sys.stderr, flush=True)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
