"""Read inputs and write outputs on local paths or any fsspec URI (s3://, gs://, ...).

Writes are all-or-nothing: local files go through a temp file + rename; object stores make
an object visible only once its upload completes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import fsspec

from skucut._files import write_atomic

STORAGE_OPTIONS_ENV = "SKUCUT_STORAGE_ENDPOINT"  # e.g. a local S3 server for tests


def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def _fs(uri: str):
    options = {}
    endpoint = os.environ.get(STORAGE_OPTIONS_ENV)
    if endpoint and uri.startswith("s3://"):
        options["client_kwargs"] = {"endpoint_url": endpoint}
    return fsspec.core.url_to_fs(uri, **options)


def read_bytes(uri: str) -> bytes:
    if is_local(uri):
        return Path(uri.removeprefix("file://")).read_bytes()
    fs, path = _fs(uri)
    return fs.cat_file(path)


def write_bytes(uri: str, data: bytes) -> str:
    """Write atomically; returns the SHA-256 of ``data``."""
    digest = hashlib.sha256(data).hexdigest()
    if is_local(uri):
        write_atomic(Path(uri.removeprefix("file://")), data)
    else:
        fs, path = _fs(uri)
        fs.pipe_file(path, data)
    return digest


def remove_stale_temps(root: str) -> int:
    """Delete the temp files (``.NAME.*.tmp``, from ``write_atomic``) that writers killed
    mid-write left in a local output folder; call only when no writer is running."""
    if not is_local(root):
        return 0  # object stores write whole objects: nothing partial is left behind
    folder = Path(root.removeprefix("file://"))
    stale = [p for p in folder.rglob(".*.tmp") if p.is_file()] if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def list_images(uri: str, extensions: set[str]) -> list[str]:
    """Image files under a folder or matching a glob, sorted, as URIs/paths."""
    if is_local(uri):
        root = Path(uri.removeprefix("file://"))
        if root.is_dir():
            return sorted(str(p) for p in root.rglob("*") if p.suffix.lower() in extensions)
        import glob

        return sorted(
            p for p in glob.glob(uri, recursive=True) if Path(p).suffix.lower() in extensions
        )
    fs, path = _fs(uri)
    protocol = uri.split("://")[0]
    names = fs.glob(path) if any(c in path for c in "*?[") else fs.find(path)
    return sorted(f"{protocol}://{n}" for n in names if Path(n).suffix.lower() in extensions)


def join(root: str, name: str) -> str:
    return f"{root.rstrip('/')}/{name}"
