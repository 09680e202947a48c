"""Retrieval quality of embeddings: recall@k of finding another item of the same group."""

from __future__ import annotations

import numpy as np


def recall_at_k(vectors: np.ndarray, groups: list, ks=(1, 5)) -> dict[int, float]:
    """For every row whose group has another row: is one of them among its ``k`` nearest
    others (cosine; rows are unit vectors)? The share of such rows, per ``k``."""
    groups = np.asarray(groups)
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)  # a photo never finds itself
    hits = {k: [] for k in ks}
    for i in range(len(groups)):
        same = groups == groups[i]
        same[i] = False
        if not same.any():
            continue
        order = np.argsort(-scores[i], kind="stable")
        for k in ks:
            hits[k].append(bool(same[order[:k]].any()))
    if not hits[ks[0]]:
        raise ValueError("no group has two rows: nothing to find")
    return {k: float(np.mean(v)) for k, v in hits.items()}


def queries(groups: list) -> int:
    """How many rows recall_at_k scores (those with another row of their group)."""
    groups = list(groups)
    return sum(groups.count(g) > 1 for g in groups)
