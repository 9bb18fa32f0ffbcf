"""Retrieve deeper, then rerank: the candidate's top K′ reordered by a cross-encoder the user
names (a folder or a hub id, as models are named; its own code runs only with
--trust-remote-code). Documents below K′ keep the candidate's order after the reranked ones."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.errors import InputError


@dataclass(frozen=True)
class Reranked:
    """Each query's reranked list at each depth K′, and what scoring cost."""

    rows: dict[int, list[np.ndarray]]  # K′ -> one list per query
    pairs_scored: int
    seconds: float


def load_reranker(spec: str, *, trust_remote_code: bool = False) -> Any:
    """The cross-encoder ``spec`` names, loaded (an InputError names the spec if it cannot)."""
    from analysis.inputs.specs import model_folder

    try:
        folder = model_folder(spec)
    except InputError as err:
        raise InputError(f"--reranker {spec}: {err}") from None
    try:
        from sentence_transformers import CrossEncoder

        return CrossEncoder(
            str(folder), device="cpu", trust_remote_code=trust_remote_code, local_files_only=True
        )
    except Exception as err:
        raise InputError(
            f"--reranker {spec}: cannot load a cross-encoder from {folder} ({err})"
        ) from None


def rerank(
    model: Any,
    candidate: np.ndarray,
    query_texts: Sequence[str],
    doc_texts: Sequence[str],
    depths: Sequence[int],
    *,
    batch_size: int = 64,
) -> Reranked:
    """Every query's ``candidate`` list (positions, -1 padded) with its top K′ reranked, for
    each K′ in ``depths``: the pairs are scored once, at the largest K′."""
    deepest = max(depths)
    rows: dict[int, list[np.ndarray]] = {d: [] for d in depths}
    started, scored = time.perf_counter(), 0
    for q, ranked in enumerate(candidate):
        ranked = ranked[ranked >= 0]
        top = ranked[:deepest]
        pairs = [(query_texts[q], doc_texts[int(d)]) for d in top]
        scores = np.asarray(model.predict(pairs, batch_size=batch_size, show_progress_bar=False))
        scored += len(pairs)
        for depth in depths:
            head, their = top[:depth], scores[:depth]
            order = head[np.argsort(-their, kind="stable")]
            rows[depth].append(np.concatenate([order, ranked[len(head) :]]))
    return Reranked(rows, scored, time.perf_counter() - started)
