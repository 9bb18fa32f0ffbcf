"""The recall horizon curve: how many documents a query admits, and how much of what was
judged relevant, as the similarity cutoff rises; per domain and overall, for both models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.grouping import OVERALL
from analysis.metrics.threshold_passes import BINS_PER_UNIT, N_BINS, Qrels, Queries, bin_of
from analysis.shards.documents import DocumentVectors

CURVE_STEP = 10  # one curve point every 10 bins: a 0.01 grid


@dataclass(frozen=True)
class HorizonCurve:
    """Mean documents admitted per query, and mean recall, as the cutoff sweeps.

    Rows of each array follow ``domains`` (query domains, then ``OVERALL``); columns follow
    ``cutoffs``. Recall is nan for a domain without judged queries.
    """

    cutoffs: np.ndarray
    domains: tuple[str, ...]
    admitted_baseline: np.ndarray
    admitted_candidate: np.ndarray
    recall_baseline: np.ndarray
    recall_candidate: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        frames = []
        for model, admitted, recall in (
            ("baseline", self.admitted_baseline, self.recall_baseline),
            ("candidate", self.admitted_candidate, self.recall_candidate),
        ):
            for row, domain in enumerate(self.domains):
                frames.append(
                    pd.DataFrame(
                        {
                            "domain": domain,
                            "model": model,
                            "cutoff": self.cutoffs,
                            "mean_admitted": admitted[row],
                            "recall": recall[row],
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)


def horizon_curve(
    hist: list[np.ndarray],
    documents: DocumentVectors,
    queries: Queries,
    domain_names: np.ndarray,
    domain_of_query: np.ndarray,
    qrels_positions: Qrels,
    exclude: np.ndarray | None,
) -> HorizonCurve:
    """Per domain and overall: the mean number of documents each query admits, and the
    mean recall of its judged-relevant documents, at every cutoff of a 0.01 grid."""
    n_queries = np.bincount(domain_of_query, minlength=len(domain_names)).astype(float)
    admitted = []
    for counts in hist:
        from_top = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
        with_overall = np.vstack([from_top, from_top.sum(axis=0)])
        per_query = with_overall / np.append(n_queries, n_queries.sum())[:, None].clip(min=1)
        admitted.append(per_query[:, ::CURVE_STEP])
    judged = np.unique([d for docs in qrels_positions.values() for d in docs]).astype(np.int64)
    recall = [
        _recall_curve(
            queries[side],
            (judged, documents.rows(side, judged, unit=True)),
            domain_of_query,
            len(domain_names),
            qrels_positions,
            exclude,
        )
        for side in (0, 1)
    ]
    cutoffs = (np.arange(N_BINS) / BINS_PER_UNIT - 1.0)[::CURVE_STEP]
    return HorizonCurve(
        cutoffs, (*domain_names, OVERALL), admitted[0], admitted[1], recall[0], recall[1]
    )


def _recall_curve(
    queries: np.ndarray,
    judged_rows: tuple[np.ndarray, np.ndarray],
    domain_of_query: np.ndarray,
    n_domains: int,
    qrels_positions: Qrels,
    exclude: np.ndarray | None,
) -> np.ndarray:
    """Mean over judged queries of the share of relevant documents scoring at least τ;
    ``judged_rows``: the judged documents' positions (sorted) and unit vectors."""
    positions, vectors = judged_rows
    weights = np.zeros((n_domains + 1, N_BINS))
    judged = np.zeros(n_domains + 1)
    for q, judged_docs in qrels_positions.items():
        relevant = [d for d, g in judged_docs.items() if g > 0]
        if not relevant:
            continue
        scores = vectors[np.searchsorted(positions, relevant)] @ queries[q]
        if exclude is not None and exclude[q] >= 0:
            scores[np.asarray(relevant) == exclude[q]] = -np.inf
        bins = bin_of(scores)
        for row in (domain_of_query[q], n_domains):
            judged[row] += 1
            np.add.at(weights[row], bins[bins >= 0], 1.0 / len(relevant))
    from_top = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = from_top / judged[:, None]
    return recall[:, ::CURVE_STEP]
