"""File helpers: one loader for option files, one atomic writer for outputs."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import tomllib


def load_mapping(path: str | Path) -> dict[str, Any]:
    """A TOML, YAML or JSON file whose top level is a table."""
    path = Path(path)
    text = path.read_text()
    if path.suffix == ".toml":
        raw = tomllib.loads(text)
    elif path.suffix in (".yaml", ".yml"):
        import yaml

        raw = yaml.safe_load(text) or {}
    elif path.suffix == ".json":
        raw = json.loads(text)
    else:
        raise ValueError(f"{path.name}: expected a .toml, .yaml or .json file")
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: the top level must be a table of keys")
    return raw


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give; mkstemp alone gives 0600


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
