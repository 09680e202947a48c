"""Reading option files: one loader for training configs and preset files."""

from __future__ import annotations

import json
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
