"""An aligned 2-D picture of both embedding spaces (UMAP), computed only when asked.

The baseline is projected first; the candidate's projection starts from the baseline's
layout and is then rotated, scaled and shifted onto it (orthogonal Procrustes), so that
the same document sits in comparable places in both pictures and movement means change.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.numba_cache import import_umap
from analysis.progress import Progress
from analysis.retrieval import unit_rows
from analysis.settings import DEFAULT_PROJECTION_MAX_POINTS as DEFAULT_MAX_POINTS
from analysis.shards.documents import DocumentVectors

_MIN_POINTS_FOR_UMAP = 20


@dataclass(frozen=True)
class ProjectionResult(FamilyResult):
    """2-D coordinates of the projected documents under both models, in one frame."""

    doc_ids: tuple[str, ...]  # the projected documents' ids
    domains: tuple[str, ...]  # and domains
    positions: np.ndarray  # projected documents' corpus positions
    baseline: np.ndarray  # (m, 2)
    candidate: np.ndarray  # (m, 2), aligned onto the baseline's frame
    method: str  # "umap" or "pca" (tiny corpora)
    sampled: bool
    random_state: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "doc_id": self.doc_ids,
                "domain": self.domains,
                "x_baseline": self.baseline[:, 0],
                "y_baseline": self.baseline[:, 1],
                "x_candidate": self.candidate[:, 0],
                "y_candidate": self.candidate[:, 1],
                "displacement": np.linalg.norm(self.candidate - self.baseline, axis=1),
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"projection": self.to_frame()}

    def manifest_entries(self) -> dict[str, Any]:
        return {"projection": True}


def aligned_projection(
    baseline_docs: np.ndarray | None,
    candidate_docs: np.ndarray | None,
    *,
    doc_ids: Sequence[str] | None = None,
    doc_domains: Sequence[str] | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
    random_state: int = 0,
    n_neighbors: int = 15,
    progress: Progress | None = None,
    documents: DocumentVectors | None = None,
) -> ProjectionResult:
    """Seeded, reproducible projection of (a seeded sample of at most ``max_points``)
    documents; ``documents``: the vectors where they lie (shards), in place of the matrices."""
    if documents is None:
        if baseline_docs is None or candidate_docs is None:
            raise ValueError("give both document matrices, or documents")
        documents = DocumentVectors.in_memory(baseline_docs, candidate_docs)
    n_docs = documents.n_docs
    sampled = n_docs > max_points
    rng = np.random.default_rng(random_state)
    positions = (
        np.sort(rng.choice(n_docs, max_points, replace=False)) if sampled else np.arange(n_docs)
    )
    base, cand = (unit_rows(documents.rows(side, positions, unit=False)) for side in (0, 1))
    progress = progress or Progress()
    with progress.stage("projection (UMAP) of both spaces", 2) as tick:
        if len(positions) < _MIN_POINTS_FOR_UMAP:
            method, xy_base, xy_cand = "pca", _pca(base), _pca(cand)
        else:
            method = "umap"
            xy_base = _umap(base, None, n_neighbors, random_state)
            tick(1)
            xy_cand = _umap(cand, xy_base, n_neighbors, random_state)
    ids = np.asarray(doc_ids if doc_ids is not None else range(n_docs), dtype=object)
    domains = np.asarray(doc_domains if doc_domains is not None else [""] * n_docs, dtype=object)
    return ProjectionResult(
        tuple(str(i) for i in ids[positions]),
        tuple(domains[positions]),
        positions,
        xy_base,
        _procrustes(xy_cand, xy_base),
        method,
        sampled,
        random_state,
    )


def _umap(vectors: np.ndarray, init: np.ndarray | None, n_neighbors: int, seed: int) -> np.ndarray:
    umap = import_umap()  # heavy (numba): imported only when a projection is asked for

    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(n_neighbors, len(vectors) - 1),
        metric="cosine",
        random_state=seed,
        init=init if init is not None else "spectral",
        n_jobs=1,
    )
    with warnings.catch_warnings():
        # pynndescent's functions that hold ctypes pointers cannot be cached (numba_cache asks
        # every function to be); numba says so once per function, and nothing is wrong
        warnings.filterwarnings("ignore", message="Cannot cache compiled function")
        return np.asarray(reducer.fit_transform(vectors), dtype=np.float64)


def _pca(vectors: np.ndarray) -> np.ndarray:
    centred = vectors - vectors.mean(axis=0)
    if len(vectors) < 2:
        return np.zeros((len(vectors), 2))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    return np.pad(xy, ((0, 0), (0, 2 - xy.shape[1])))


def _procrustes(moving: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``moving`` rotated/reflected, scaled and shifted to best match ``target``."""
    from scipy.linalg import orthogonal_procrustes

    mu_m, mu_t = moving.mean(axis=0), target.mean(axis=0)
    m, t = moving - mu_m, target - mu_t
    if not np.any(m) or not np.any(t):
        return moving - mu_m + mu_t
    rotation, scale = orthogonal_procrustes(m, t)
    return m @ rotation * (scale / (m**2).sum()) + mu_t


def _compute(inputs: Inputs) -> ProjectionResult | None:
    config, corpus = inputs.config, inputs.corpus
    if not config.projection:
        return None
    return aligned_projection(
        None,
        None,
        doc_ids=corpus.doc_ids,
        doc_domains=corpus.doc_domains,
        max_points=config.projection_max_points,
        random_state=config.random_state,
        progress=inputs.progress,
        documents=inputs.documents,
    )


PROJECTION = Family("projection", _compute, absent_manifest={"projection": False})
