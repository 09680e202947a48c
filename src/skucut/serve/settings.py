"""Service settings: limits and switches, from arguments or SKUCUT_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from skucut._system import usable_cores
from skucut.io import DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class ServeSettings:
    # The only models requests may name (names, or .onnx paths as written here), loaded at
    # start-up; empty: every installed segmentation model (loaded on first use).
    models: tuple[str, ...] = ()
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_batch_files: int = 20
    # Jobs with a canvas larger than this (or an explicit upscale) run one at a time: a 49 MP
    # canvas takes about 2.7 GB while composed (measured), a cutout of the same size a quarter.
    heavy_pixels: int = 12_000_000
    timeout_s: float = 60.0  # per request: body upload, queue wait and work together
    concurrency: int = field(default_factory=usable_cores)  # images processed at once
    # Requests admitted besides those being processed (uploading or waiting for a slot);
    # beyond that: 503 + Retry-After, before a byte of the body is read.
    queue_size: int = 16
    api_keys: frozenset[str] = frozenset()  # empty: no authentication
    # POST /v1/video: a job's deadline (queue wait and work) and the longest video accepted.
    video_timeout_s: float = 900.0
    video_max_seconds: float = 60.0
    allow_url: bool = False  # fetch inputs by URL (public addresses only)
    url_max_bytes: int = 25 * 1024 * 1024
    url_timeout_s: float = 10.0
    # User corrections (POST /v1/feedback) are stored here as training pairs; None: off.
    feedback_dir: str | None = None
    feedback_max_pairs: int = 10_000
    feedback_max_bytes: int = 2 * 1024**3

    def __post_init__(self) -> None:
        # An empty key would let an empty X-API-Key header in: refuse it rather than drop it,
        # since dropping the only key would silently turn authentication off.
        if any(not key.strip() for key in self.api_keys):
            raise ValueError("an API key must not be empty")
        if self.concurrency < 1 or self.queue_size < 0 or self.timeout_s <= 0:
            raise ValueError("concurrency and timeout must be positive, queue size not negative")
        if self.feedback_max_pairs < 1 or self.feedback_max_bytes < 1:
            raise ValueError("the feedback folder's limits must be positive")

    @classmethod
    def from_env(cls, **overrides) -> ServeSettings:
        """SKUCUT_API_KEYS (comma-separated), SKUCUT_ALLOW_URL=1, SKUCUT_MAX_UPLOAD_MB,
        SKUCUT_FEEDBACK_DIR, ..."""
        env = os.environ
        values: dict = {}
        if env.get("SKUCUT_API_KEYS"):
            values["api_keys"] = _key_list(env["SKUCUT_API_KEYS"])
        if env.get("SKUCUT_ALLOW_URL"):
            values["allow_url"] = env["SKUCUT_ALLOW_URL"].lower() in ("1", "true", "yes")
        if env.get("SKUCUT_MAX_UPLOAD_MB"):
            values["max_upload_bytes"] = int(float(env["SKUCUT_MAX_UPLOAD_MB"]) * 1024 * 1024)
        if env.get("SKUCUT_FEEDBACK_DIR"):
            values["feedback_dir"] = env["SKUCUT_FEEDBACK_DIR"]
        for name, kind in (("concurrency", int), ("queue_size", int), ("timeout_s", float)):
            if env.get(f"SKUCUT_{name.upper()}"):
                values[name] = kind(env[f"SKUCUT_{name.upper()}"])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _key_list(text: str) -> frozenset[str]:
    """'a,b,' -> {'a', 'b'}: a stray comma adds no key; a list of no key at all is an error."""
    keys = frozenset(k.strip() for k in text.split(",") if k.strip())
    if not keys:
        raise ValueError("SKUCUT_API_KEYS is set but holds no key")
    return keys
