"""Fixtures of the service tests: rendering held at a gate, to fill work slots for real."""

from __future__ import annotations

import threading
import time

import pytest


@pytest.fixture
def held_render(monkeypatch):
    """Rendering waits for the gate; ``entered`` lists the canvas of each render begun."""
    app_module = pytest.importorskip("skucut.serve.app")  # needs the [serve] extra
    gate, entered = threading.Event(), []
    real = app_module.render

    def held(decoded, options, *args):
        entered.append(options.canvas)
        gate.wait(30)
        return real(decoded, options, *args)

    monkeypatch.setattr(app_module, "render", held)
    yield gate, entered
    gate.set()


def until(condition, seconds: float = 30) -> bool:
    """Poll ``condition`` until it holds (or the time is up); its last value."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()
