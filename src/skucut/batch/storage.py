"""Read inputs and write outputs on local paths or any fsspec URI (s3://, gs://, ...).

Writes are all-or-nothing: local files go through a temp file + rename; object stores make
an object visible only once its upload completes.
"""

from __future__ import annotations

import errno
import functools
import glob
import hashlib
import os
import posixpath
import stat
from pathlib import Path

import fsspec

from skucut._files import write_atomic

STORAGE_OPTIONS_ENV = "SKUCUT_STORAGE_ENDPOINT"  # e.g. a local S3 server for tests


class NotAFile(ValueError):
    """A local input that no retry can read: a folder, a FIFO, a looping or dangling link."""


class OutsideOutput(ValueError):
    """An output name that would leave the output root."""


def is_local(uri: str) -> bool:
    return "://" not in uri or uri.startswith("file://")


def _local(uri: str) -> str:
    return uri.removeprefix("file://")


def _fs(uri: str):
    options = {}
    endpoint = os.environ.get(STORAGE_OPTIONS_ENV)
    if endpoint and uri.startswith("s3://"):
        options["client_kwargs"] = {"endpoint_url": endpoint}
    return fsspec.core.url_to_fs(uri, **options)


def _mode_problem(mode: int) -> str | None:
    """Why a file of this mode is not an image file; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder, not an image file"
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket or device"
    return f"{kind}, not a regular file"


def _link_problem(path: str, exc: OSError) -> str | None:
    """Why a path that failed to open never will; None when the failure may pass."""
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"a dangling symbolic link (to {os.readlink(path)})"
    return None  # e.g. missing: storage that is slow to show a file may show it next time


def local_problem(path: str) -> str | None:
    """Why a listed local path is no image file (stat, never open: a FIFO would block)."""
    try:
        return _mode_problem(os.stat(path).st_mode)
    except OSError as exc:
        return _link_problem(path, exc) or str(exc)


def _read_local(path: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not block
    except OSError as exc:
        problem = _link_problem(path, exc)
        if problem:
            raise NotAFile(problem) from None
        raise
    with os.fdopen(fd, "rb") as f:
        problem = _mode_problem(os.fstat(fd).st_mode)  # of what was opened: no race
        if problem:
            raise NotAFile(problem)
        return f.read()


def read_bytes(uri: str) -> bytes:
    if is_local(uri):
        return _read_local(_local(uri))
    fs, path = _fs(uri)
    return fs.cat_file(path)


def write_bytes(uri: str, data: bytes) -> str:
    """Write atomically; returns the SHA-256 of ``data``."""
    digest = hashlib.sha256(data).hexdigest()
    if is_local(uri):
        write_atomic(Path(_local(uri)), data)
    else:
        fs, path = _fs(uri)
        fs.pipe_file(path, data)
    return digest


def remove_stale_temps(root: str) -> int:
    """Delete the temp files (``.NAME.*.tmp``, from ``write_atomic``) that writers killed
    mid-write left in a local output folder; call only when no writer is running."""
    if not is_local(root):
        return 0  # object stores write whole objects: nothing partial is left behind
    folder = Path(_local(root))
    stale = [p for p in folder.rglob(".*.tmp") if p.is_file()] if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def list_images(uri: str, extensions: set[str]) -> list[tuple[str, str | None]]:
    """(path or URI, problem) for each name with an image extension under a folder or matching
    a glob, sorted; problem says why a local entry is no image file (None when it is one)."""
    if is_local(uri):
        root = Path(_local(uri))
        names = (
            map(str, root.rglob("*")) if root.is_dir() else glob.glob(_local(uri), recursive=True)
        )
        found = [n for n in names if Path(n).suffix.lower() in extensions]
        return sorted((n, local_problem(n)) for n in found)
    fs, path = _fs(uri)
    protocol = uri.split("://")[0]
    names = fs.glob(path) if any(c in path for c in "*?[") else fs.find(path)
    return sorted(
        (f"{protocol}://{n}", None) for n in names if Path(n).suffix.lower() in extensions
    )


def join(root: str, name: str) -> str:
    """``root/name``, refusing any name that could land outside ``root``."""
    parts = name.split("/")
    if "\\" in name or "\0" in name or any(p in ("", ".", "..") for p in parts):
        raise OutsideOutput(
            f"output {name!r} must be a relative name inside the output folder "
            "(no leading '/', no '..', '.', empty parts or backslashes)"
        )
    return f"{root.rstrip('/')}/{name}"


@functools.lru_cache(maxsize=4096)
def _real_dir(path: str) -> str:
    return os.path.realpath(path)  # cached: a million items share a few folders


def file_key(uri: str) -> str:
    """The directory entry a write to ``uri`` replaces, with the folders' links resolved (a
    write replaces a link in place, so the entry, not its target, is what matters)."""
    if not is_local(uri):
        protocol, path = uri.split("://", 1)
        return f"{protocol}://{posixpath.normpath(path)}"
    path = os.path.abspath(_local(uri))
    return os.path.join(_real_dir(os.path.dirname(path)), os.path.basename(path))
