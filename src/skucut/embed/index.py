"""Embedding files: vectors and their names, as ``.npy`` + a ``.json`` beside it, or one
``.parquet`` file (needs pyarrow); plus the nearest-neighbour search over them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from skucut._files import write_atomic

META_KEY = b"skucut.embed"
SUFFIXES = (".npy", ".parquet")


def write_index(path: str | Path, names: list[str], vectors: np.ndarray, meta: dict) -> list[Path]:
    """Write the index; returns the files written. ``meta`` says how the vectors were made
    (embedder, cutout or not), so a query can be embedded the same way."""
    path = Path(path)
    vectors = np.asarray(vectors, np.float32).reshape(len(names), -1)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
        table = pa.table({"name": names, "vector": column})
        table = table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})
        buffer = pa.BufferOutputStream()
        pq.write_table(table, buffer)
        write_atomic(path, buffer.getvalue().to_pybytes())
        return [path]
    if path.suffix != ".npy":
        raise ValueError(f"{path.name}: the index must be a .npy or .parquet file")
    buffer = io.BytesIO()
    np.save(buffer, vectors)
    write_atomic(path, buffer.getvalue())
    sidecar = path.with_suffix(".json")
    write_atomic(sidecar, (json.dumps({**meta, "names": names}, indent=1) + "\n").encode())
    return [path, sidecar]


def resolve_index(path: str | Path) -> Path:
    """``vectors`` finds ``vectors.npy`` or ``vectors.parquet``."""
    path = Path(path)
    candidates = (
        [path] if path.suffix in SUFFIXES else [path.with_name(path.name + s) for s in SUFFIXES]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"no index at {' or '.join(map(str, candidates))}")


def read_index(path: str | Path) -> tuple[list[str], np.ndarray, dict[str, Any]]:
    """(names, vectors N x D float32, meta)."""
    path = resolve_index(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        meta = json.loads((table.schema.metadata or {}).get(META_KEY, b"{}"))
        column = table.column("vector").combine_chunks()
        dim = column.type.list_size
        vectors = column.values.to_numpy(zero_copy_only=False).reshape(-1, dim)
        return table.column("name").to_pylist(), vectors.astype(np.float32), meta
    meta = json.loads(path.with_suffix(".json").read_text())
    names = meta.pop("names")
    vectors = np.load(path)
    if len(names) != len(vectors):
        raise ValueError(f"{path.name}: {len(vectors)} vectors but {len(names)} names")
    return names, vectors, meta


def nearest(
    vectors: np.ndarray, query: np.ndarray, k: int, exclude: set[int] | None = None
) -> list[tuple[int, float]]:
    """The ``k`` rows most similar to ``query`` (cosine: the vectors are unit length), best
    first, skipping the rows in ``exclude``."""
    scores = vectors @ query
    order = [int(i) for i in np.argsort(-scores, kind="stable") if int(i) not in (exclude or ())]
    return [(i, float(scores[i])) for i in order[:k]]
