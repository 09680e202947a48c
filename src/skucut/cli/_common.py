"""Helpers shared by commands: one-line errors and atomic file writes."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp alone gives 0600


def fail(message: str) -> None:
    print(f"skucut: error: {message}", file=sys.stderr)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, then rename: no partial file is ever visible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
