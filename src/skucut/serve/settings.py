"""Service settings: limits and switches, from arguments or SKUCUT_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from skucut._system import usable_cores
from skucut.io import DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class ServeSettings:
    models: tuple[str, ...] = ()  # loaded at start-up besides the default model
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_batch_files: int = 20
    timeout_s: float = 60.0  # per request, queue wait included
    concurrency: int = field(default_factory=usable_cores)  # images processed at once
    queue_size: int = 16  # requests allowed to wait; beyond that: 503 + Retry-After
    api_keys: frozenset[str] = frozenset()  # empty: no authentication
    allow_url: bool = False  # fetch inputs by URL (public addresses only)
    url_max_bytes: int = 25 * 1024 * 1024
    url_timeout_s: float = 10.0

    @classmethod
    def from_env(cls, **overrides) -> ServeSettings:
        """SKUCUT_API_KEYS (comma-separated), SKUCUT_ALLOW_URL=1, SKUCUT_MAX_UPLOAD_MB, ..."""
        env = os.environ
        values: dict = {}
        if env.get("SKUCUT_API_KEYS"):
            values["api_keys"] = frozenset(k.strip() for k in env["SKUCUT_API_KEYS"].split(","))
        if env.get("SKUCUT_ALLOW_URL"):
            values["allow_url"] = env["SKUCUT_ALLOW_URL"].lower() in ("1", "true", "yes")
        if env.get("SKUCUT_MAX_UPLOAD_MB"):
            values["max_upload_bytes"] = int(float(env["SKUCUT_MAX_UPLOAD_MB"]) * 1024 * 1024)
        for name, kind in (("concurrency", int), ("queue_size", int), ("timeout_s", float)):
            if env.get(f"SKUCUT_{name.upper()}"):
                values[name] = kind(env[f"SKUCUT_{name.upper()}"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
