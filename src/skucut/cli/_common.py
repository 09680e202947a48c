"""Helpers shared by commands: one-line errors (atomic writes live in skucut._files)."""

from __future__ import annotations

import sys


def fail(message: str) -> None:
    print(f"skucut: error: {message}", file=sys.stderr)
