"""Embedding-space shrinkage per domain: spread, pairwise similarity, effective rank.

All measures use unit-normalised document vectors (the cosine geometry retrieval sees).
A domain *collapsing* shows as higher similarity to its centroid, higher mean pairwise
cosine and lower effective rank under the candidate; domains *merging* show as higher
similarity between their centroids.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import OVERALL
from analysis.retrieval import unit_rows
from analysis.shards.documents import DocumentVectors
from analysis.shards.moments import FixedSums

Measures = dict[str, float | None]


_BLOCK_ROWS = 16_384  # rows read at a time: 48 MiB of float64 at 384 dimensions


@dataclass(frozen=True)
class _Moments:
    """Sums over a set of vectors, read once in blocks: everything the measures need."""

    n: int
    total: np.ndarray  # Σu (float64)
    gram: np.ndarray  # Σ u uᵀ (float64, dim x dim)

    @classmethod
    def of(cls, vectors: np.ndarray, rows: np.ndarray | None = None) -> _Moments:
        n = len(vectors) if rows is None else len(rows)
        dim = vectors.shape[1]
        total, gram = np.zeros(dim), np.zeros((dim, dim))
        for start in range(0, n, _BLOCK_ROWS):
            picked = slice(start, start + _BLOCK_ROWS)
            block = vectors[picked] if rows is None else vectors[rows[picked]]
            block = block.astype(np.float64)
            total += block.sum(axis=0)
            gram += block.T @ block
        return cls(n, total, gram)


def effective_rank(vectors: np.ndarray) -> float:
    """exp of the Shannon entropy of the normalised covariance eigenvalues (Roy & Vetterli 2007).

    Ranges from 1 (all variance along one direction) to the dimension (isotropic spread).
    Returns 0.0 for fewer than two vectors or no variance at all.

    >>> round(effective_rank(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])), 6)
    2.0
    """
    return _effective_rank(_Moments.of(vectors))


def _effective_rank(m: _Moments) -> float:
    if m.n < 2:
        return 0.0
    mean = m.total / m.n
    covariance = (m.gram - m.n * np.outer(mean, mean)) / (m.n - 1)
    eigenvalues = np.clip(np.linalg.eigvalsh(covariance), 0.0, None)
    total = eigenvalues.sum()
    if total <= 0:
        return 0.0
    p = eigenvalues[eigenvalues > 0] / total
    return float(np.exp(-(p * np.log(p)).sum()))


def mean_pairwise_cosine(unit_vectors: np.ndarray) -> float | None:
    """Mean cosine over all pairs i != j, exactly, in O(n d): (|Σu|² - Σ|u|²) / (n(n-1)).

    >>> mean_pairwise_cosine(np.array([[1.0, 0.0], [0.0, 1.0]]))
    0.0
    """
    return _mean_pairwise_cosine(_Moments.of(unit_vectors))


def _mean_pairwise_cosine(m: _Moments) -> float | None:
    if m.n < 2:
        return None
    return float((m.total @ m.total - np.trace(m.gram)) / (m.n * (m.n - 1)))


def mean_cosine_to_centroid(unit_vectors: np.ndarray) -> float | None:
    """Mean cosine between each vector and the direction of the domain's mean vector."""
    return _mean_cosine_to_centroid(_Moments.of(unit_vectors))


def _mean_cosine_to_centroid(m: _Moments) -> float | None:
    if m.n == 0:
        return None
    norm = np.linalg.norm(m.total)
    if norm == 0:
        return 0.0
    return float(m.total @ (m.total / norm) / m.n)  # mean of u · (Σu / |Σu|)


@dataclass(frozen=True)
class GeometryFigures:
    """One domain's shrinkage measures per model, and candidate / baseline ratios (summary
    key ``geometry``; absent for a domain without documents)."""

    baseline: Measures
    candidate: Measures
    ratio: Measures

    def to_json(self) -> dict[str, Any]:
        return {
            "geometry": {
                "baseline": self.baseline,
                "candidate": self.candidate,
                "ratio": self.ratio,
            }
        }

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> GeometryFigures | None:
        geometry = section.get("geometry")
        if not isinstance(geometry, Mapping):
            return None
        return cls(dict(geometry["baseline"]), dict(geometry["candidate"]), dict(geometry["ratio"]))


@dataclass(frozen=True)
class CentroidSimilarity:
    """Cosine between every two domains' centroids, per model (summary key
    ``centroid_similarity``); rising between two domains means they are merging."""

    domains: tuple[str, ...]
    baseline: np.ndarray
    candidate: np.ndarray

    def frame(self, model: str) -> pd.DataFrame:
        matrix = self.baseline if model == "baseline" else self.candidate
        return pd.DataFrame(matrix, index=list(self.domains), columns=list(self.domains))

    def to_json(self) -> dict[str, Any]:
        return {
            "centroid_similarity": {
                "domains": list(self.domains),
                "baseline": self.baseline.tolist(),
                "candidate": self.candidate.tolist(),
            }
        }

    @classmethod
    def from_json(cls, summary: Mapping[str, Any]) -> CentroidSimilarity | None:
        values = summary.get("centroid_similarity")
        if not isinstance(values, Mapping):
            return None
        return cls(
            tuple(values["domains"]),
            np.asarray(values["baseline"], dtype=float),
            np.asarray(values["candidate"], dtype=float),
        )


@dataclass(frozen=True)
class GeometryResult(FamilyResult):
    """Per model, per domain (and overall) shrinkage measures, and centroid similarities."""

    domains: tuple[str, ...]
    baseline: dict[str, dict[str, float | None]]
    candidate: dict[str, dict[str, float | None]]
    centroid_similarity_baseline: np.ndarray  # (domains x domains) cosine of centroids
    centroid_similarity_candidate: np.ndarray

    def ratios(self) -> dict[str, dict[str, float | None]]:
        """candidate / baseline for each measure (>1 spread measures: the domain tightened)."""
        out = {}
        for name, base in self.baseline.items():
            cand = self.candidate[name]
            out[name] = {m: _ratio(cand[m], base[m]) for m in base}
        return out

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for model, values in (("baseline", self.baseline), ("candidate", self.candidate)):
            for domain, measures in values.items():
                rows.append({"domain": domain, "model": model, **measures})
        return pd.DataFrame(rows)

    def centroids(self) -> CentroidSimilarity:
        return CentroidSimilarity(
            self.domains, self.centroid_similarity_baseline, self.centroid_similarity_candidate
        )

    def by_domain(self, names: Sequence[str]) -> dict[str, GeometryFigures]:
        """Every domain that has documents (and overall); ``names`` only sets the order."""
        ratios = self.ratios()
        return {
            name: GeometryFigures(self.baseline[name], self.candidate[name], ratios[name])
            for name in [*names, OVERALL]
            if name in self.baseline
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"geometry": self.to_frame()}

    def summary_entries(self) -> dict[str, Any]:
        return self.centroids().to_json()


def space_geometry(
    baseline_docs: np.ndarray | None,
    candidate_docs: np.ndarray | None,
    doc_domains: Sequence[str],
    *,
    documents: DocumentVectors | None = None,
) -> GeometryResult:
    """Both models' shrinkage measures per domain and overall. ``documents``: the vectors
    where they lie (shards), in place of the two matrices.

    The sums behind every measure are read per domain, shard by shard, and added exactly
    (:mod:`analysis.shards.moments`): a domain's sums and the overall ones come out the
    same whichever way the corpus is cut."""
    if documents is None:
        if baseline_docs is None or candidate_docs is None:
            raise ValueError("give both document matrices, or documents")
        documents = DocumentVectors.in_memory(baseline_docs, candidate_docs)
    names = tuple(sorted(set(doc_domains)))
    codes = np.searchsorted(np.asarray(names, dtype=object), np.asarray(doc_domains, dtype=object))
    per_model, centroids = [], []
    for side in (0, 1):
        sums = documents.moments(side, codes.astype(np.int32), len(names))
        moments = {name: _Moments(*s.value()) for name, s in zip(names, sums, strict=True)}
        empty = FixedSums.zero(documents.dimensions[side])
        overall = sum(sums[1:], start=sums[0]) if sums else empty
        moments[OVERALL] = _Moments(*overall.value())
        per_model.append({name: _measures(m) for name, m in moments.items()})
        centroids.append(_centroid_similarity(moments, names))
    return GeometryResult(names, per_model[0], per_model[1], centroids[0], centroids[1])


def _measures(m: _Moments) -> dict[str, float | None]:
    return {
        "mean_cosine_to_centroid": _mean_cosine_to_centroid(m),
        "mean_pairwise_cosine": _mean_pairwise_cosine(m),
        "effective_rank": _effective_rank(m),
    }


def _centroid_similarity(moments: Mapping[str, _Moments], names: Sequence[str]) -> np.ndarray:
    means = np.vstack([moments[n].total / max(moments[n].n, 1) for n in names])
    centroids = unit_rows(means.astype(np.float32))
    return centroids @ centroids.T


def _ratio(new: float | None, old: float | None) -> float | None:
    if new is None or old is None or old == 0:
        return None
    return new / old


def _compute(inputs: Inputs) -> GeometryResult:
    with inputs.progress.stage("geometry of both spaces"):
        return space_geometry(None, None, inputs.corpus.doc_domains, documents=inputs.documents)


GEOMETRY = Family("geometry", _compute)

__all__ = ["OVERALL", "GeometryResult", "effective_rank", "space_geometry"]
