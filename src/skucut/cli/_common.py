"""Helpers shared by commands: one-line errors (atomic writes live in skucut._files)."""

from __future__ import annotations

import sys


def fail(message: str) -> None:
    print(f"skucut: error: {message}", file=sys.stderr)


def install_hint(extra: str) -> str:
    """The pip command that adds an extra to *this* installation.

    ``pip install 'skucut[serve]'`` installs nothing from a checkout (skucut is not on a
    package index), so name the checkout itself when skucut runs from one."""
    from skucut.catalog import SHIPPED_DIR

    checkout = SHIPPED_DIR.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "skucut").is_dir():
        return f"pip install -e '{checkout}[{extra}]'"
    return f"pip install 'PATH[{extra}]' (PATH: the skucut folder or wheel you installed from)"
