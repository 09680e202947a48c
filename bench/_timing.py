"""Shared by the bench scripts: the median latency of an onnxruntime session."""

from __future__ import annotations

import statistics
import time

import numpy as np


def session_ms(session, side: int, runs: int) -> float:
    """Median ms of ``runs`` calls on a 1x3xSIDExSIDE input, after one warm-up call."""
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((1, 3, side, side)).astype(np.float32)
    session.run(None, {name: x})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
