"""Where a photo's time goes: ``with stage("model"): ...`` around each step of the pipeline.

Costs nothing unless a caller collects (``collect_stages``), as ``skucut bench --stages``
does. Times are exclusive: a stage nested in another (clean-up inside refine) is subtracted
from its parent. Per stage both wall time and the calling thread's CPU time are kept; on a
machine shared with other work the CPU time is the steadier of the two.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_TIMES: ContextVar[dict | None] = ContextVar("skucut_stage_times", default=None)
_STACK: ContextVar[list | None] = ContextVar("skucut_stage_stack", default=None)


@contextmanager
def stage(name: str) -> Iterator[None]:
    times = _TIMES.get()
    if times is None:
        yield
        return
    stack = _STACK.get()
    wall, cpu = time.perf_counter(), time.thread_time()
    stack.append([0.0, 0.0])  # time spent in stages nested in this one
    try:
        yield
    finally:
        nested_wall, nested_cpu = stack.pop()
        spent_wall, spent_cpu = time.perf_counter() - wall, time.thread_time() - cpu
        times[name][0] += spent_wall - nested_wall
        times[name][1] += spent_cpu - nested_cpu
        if stack:
            stack[-1][0] += spent_wall
            stack[-1][1] += spent_cpu


@contextmanager
def collect_stages() -> Iterator[dict[str, list[float]]]:
    """Yields {stage: [wall s, cpu s]}, filled by the stages run inside the block (this
    thread only)."""
    times: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    token_t, token_s = _TIMES.set(times), _STACK.set([])
    try:
        yield times
    finally:
        _TIMES.reset(token_t)
        _STACK.reset(token_s)
