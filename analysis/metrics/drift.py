"""Per-document neighbourhood drift: do a document's nearest neighbours survive the new model?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs, per_document
from analysis.metrics.grouping import domain_groups, mean_or_none
from analysis.neighbours import EXACT_INDEX, NeighbourSearch, document_neighbours, row_jaccard
from analysis.progress import Progress
from analysis.settings import DEFAULT_DRIFT_EXACT_MAX_DOCS as DEFAULT_EXACT_MAX_DOCS
from analysis.settings import DEFAULT_DRIFT_MAX_DOCS as DEFAULT_MAX_DOCS
from analysis.shards.documents import DocumentVectors


@dataclass(frozen=True)
class DriftFigures:
    """One domain's neighbourhood drift: how much of each document's neighbourhood survived.

    Summary keys: ``neighbourhood_jaccard`` (the mean) and ``drift`` (every field).
    """

    n_docs_analysed: int
    mean: float | None
    q25: float | None
    median: float | None
    q75: float | None
    share_replaced: float | None  # documents whose neighbours were all replaced
    purity_baseline: float | None  # share of neighbours from the document's own domain
    purity_candidate: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "neighbourhood_jaccard": self.mean,
            "drift": {f.name: getattr(self, f.name) for f in fields(self)},
        }

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> DriftFigures | None:
        drift = section.get("drift")
        if not isinstance(drift, Mapping):
            return None
        return cls(**{f.name: drift[f.name] for f in fields(cls)})


DRIFT_NEIGHBOURS = "drift_neighbours"


@dataclass(frozen=True)
class DriftResult(FamilyResult):
    """Neighbour sets of the analysed documents under both models.

    ``jaccard`` is |N_base ∩ N_cand| / |N_base ∪ N_cand| of each document's k nearest other
    documents: 1 means the neighbourhood is intact, 0 that it was replaced. ``purity_*`` is
    the share of a document's neighbours in its own domain (fine-tuning can pull domains
    into each other). When the corpus is larger than ``max_docs``, a seeded sample of
    documents is analysed (their neighbours are still searched among all documents).
    ``search`` says how the neighbours were found and, if approximately, how exactly.
    """

    positions: np.ndarray  # analysed documents' positions in the corpus
    doc_ids: tuple[str, ...]  # their ids
    domains: tuple[str, ...]  # their domains
    n_docs: int  # documents in the corpus
    k: int
    neighbours_baseline: np.ndarray  # (m, k) corpus positions, -1 padded
    neighbours_candidate: np.ndarray
    jaccard: np.ndarray
    purity_baseline: np.ndarray
    purity_candidate: np.ndarray
    sampled: bool
    random_state: int
    all_doc_ids: tuple[str, ...] = ()  # every corpus id by position, to name the neighbours
    search: NeighbourSearch = NeighbourSearch("exact", EXACT_INDEX)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "doc_id": self.doc_ids,
                "domain": self.domains,
                "neighbourhood_jaccard": self.jaccard,
                "purity_baseline": self.purity_baseline,
                "purity_candidate": self.purity_candidate,
            }
        )

    def document_columns(self) -> pd.DataFrame:
        """Drift of the analysed documents; nan for documents outside the sample."""
        return per_document(
            self.n_docs,
            self.positions,
            {
                "neighbourhood_jaccard": self.jaccard,
                "purity_baseline": self.purity_baseline,
                "purity_candidate": self.purity_candidate,
            },
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """``drift_neighbours``: each analysed document's neighbours, rank by rank, under
        both models (what the drift page lists for one document)."""
        m, k = self.neighbours_baseline.shape
        names = np.asarray(self.all_doc_ids, dtype=object)

        def named(positions: np.ndarray) -> list[str | None]:
            return [str(names[p]) if p >= 0 else None for p in positions.ravel()]

        return {
            DRIFT_NEIGHBOURS: pd.DataFrame(
                {
                    "doc_id": np.repeat(np.asarray(self.doc_ids, dtype=object), k),
                    "rank": np.tile(np.arange(1, k + 1), m),
                    "neighbour_baseline": named(self.neighbours_baseline),
                    "neighbour_candidate": named(self.neighbours_candidate),
                }
            )
        }

    def by_domain(self, names: Sequence[str]) -> dict[str, DriftFigures]:
        """Per domain: mean, quartiles and share of fully replaced neighbourhoods, purity."""
        out: dict[str, DriftFigures] = {}
        for name, rows in domain_groups(self.domains, names).items():
            values = self.jaccard[rows]
            quartiles = np.percentile(values, [25, 50, 75]) if len(values) else [None] * 3
            out[name] = DriftFigures(
                n_docs_analysed=len(rows),
                mean=mean_or_none(values),
                q25=_float(quartiles[0]),
                median=_float(quartiles[1]),
                q75=_float(quartiles[2]),
                share_replaced=mean_or_none((values == 0).astype(float)),
                purity_baseline=mean_or_none(self.purity_baseline[rows]),
                purity_candidate=mean_or_none(self.purity_candidate[rows]),
            )
        return out

    def manifest_entries(self) -> dict[str, Any]:
        return {
            "drift_docs_analysed": len(self.positions),
            "drift_sampled": self.sampled,
            "drift_search": self.search.to_json(),
        }


def neighbourhood_drift(
    baseline_docs: np.ndarray | None,
    candidate_docs: np.ndarray | None,
    doc_domains: Sequence[str],
    *,
    doc_ids: Sequence[str] | None = None,
    k: int = 10,
    max_docs: int = DEFAULT_MAX_DOCS,
    exact_max_docs: int = DEFAULT_EXACT_MAX_DOCS,
    random_state: int = 0,
    progress: Progress | None = None,
    documents: DocumentVectors | None = None,
) -> DriftResult:
    """Each analysed document's k nearest other documents under both models, compared.

    Above ``exact_max_docs`` documents the neighbours come from an approximate index whose
    exactness is audited (see :mod:`analysis.neighbours`).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if documents is None:
        if baseline_docs is None or candidate_docs is None:
            raise ValueError("give both document matrices, or documents")
        documents = DocumentVectors.in_memory(baseline_docs, candidate_docs)
    n_docs = documents.n_docs
    if len(doc_domains) != n_docs:
        raise ValueError("both models and the domains must cover the same documents")
    sampled = n_docs > max_docs
    positions = (
        np.sort(np.random.default_rng(random_state).choice(n_docs, max_docs, replace=False))
        if sampled
        else np.arange(n_docs)
    )
    labels = np.asarray(doc_domains, dtype=object)
    base, cand, search = document_neighbours(
        None,
        None,
        positions,
        labels[positions],
        k,
        approximate=n_docs > exact_max_docs,
        random_state=random_state,
        progress=progress,
        documents=documents,
    )
    ids = np.asarray(doc_ids if doc_ids is not None else range(n_docs), dtype=object)
    return DriftResult(
        positions=positions,
        doc_ids=tuple(str(i) for i in ids[positions]),
        domains=tuple(labels[positions]),
        n_docs=n_docs,
        k=k,
        neighbours_baseline=base,
        neighbours_candidate=cand,
        jaccard=row_jaccard(base, cand),
        purity_baseline=_purity(base, labels, positions),
        purity_candidate=_purity(cand, labels, positions),
        sampled=sampled,
        random_state=random_state,
        all_doc_ids=tuple(str(i) for i in ids),
        search=search,
    )


def _purity(neighbours: np.ndarray, labels: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Share of each row's neighbours in the row's own domain (nan without neighbours)."""
    valid = neighbours >= 0
    same = (labels[np.where(valid, neighbours, 0)] == labels[positions][:, None]) & valid
    counts = valid.sum(axis=1)
    return np.divide(same.sum(axis=1), counts, out=np.full(len(counts), np.nan), where=counts > 0)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _compute(inputs: Inputs) -> DriftResult:
    corpus, config = inputs.corpus, inputs.config
    return neighbourhood_drift(
        None,
        None,
        corpus.doc_domains,
        doc_ids=corpus.doc_ids,
        k=config.neighbours,
        max_docs=config.drift_max_docs,
        exact_max_docs=config.drift_exact_max_docs,
        random_state=config.random_state,
        progress=inputs.progress,
        documents=inputs.documents,
    )


DRIFT = Family("drift", _compute)
