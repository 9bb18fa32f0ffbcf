"""Per-query retrieval overlap between the baseline's and the candidate's top-k."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import Estimate, bootstrap_mean, domain_groups
from analysis.retrieval import Ranking

_MEASURES = ("jaccard", "overlap_at_k", "rbo")


def jaccard(a: Sequence[int], b: Sequence[int]) -> float:
    """|A ∩ B| / |A ∪ B| of two id lists read as sets (1.0 when both are empty).

    >>> jaccard([1, 2, 3], [2, 3, 4])
    0.5
    """
    set_a, set_b = set(a), set(b)
    union = set_a | set_b
    return len(set_a & set_b) / len(union) if union else 1.0


def rank_biased_overlap(a: Sequence[int], b: Sequence[int], *, p: float = 0.9) -> float:
    """Extrapolated rank-biased overlap (Webber, Moffat & Zobel 2010, eq. 32).

    RBO_ext = (X_k / k) p^k + (1 - p) / p * sum_{d=1..k} (X_d / d) p^d, where X_d is the size
    of the overlap of the two lists' first d items and k the (common) depth. Top ranks weigh
    most; identical lists score 1, disjoint lists 0.

    >>> round(rank_biased_overlap([1, 2, 3], [1, 3, 2]), 4)
    0.955
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    depth = min(len(a), len(b))
    if depth == 0:
        return 1.0 if len(a) == len(b) else 0.0
    seen_a: set[int] = set()
    seen_b: set[int] = set()
    overlap, total = 0, 0.0
    for d in range(1, depth + 1):
        x, y = a[d - 1], b[d - 1]
        if x == y:
            overlap += 1
        else:
            overlap += (x in seen_b) + (y in seen_a)
        seen_a.add(x)
        seen_b.add(y)
        total += overlap / d * p**d
    return overlap / depth * p**depth + (1 - p) / p * total


@dataclass(frozen=True)
class OverlapFigures:
    """One domain's mean agreement of the two top-k lists, each with a bootstrap 95% interval.

    Summary keys: ``overlap_jaccard``, ``overlap_at_k``, ``rbo`` (the means) and
    ``overlap_ci`` (mean, interval and count of each).
    """

    jaccard: Estimate
    overlap_at_k: Estimate
    rbo: Estimate

    def to_json(self) -> dict[str, Any]:
        return {
            "overlap_jaccard": self.jaccard.mean,
            "overlap_at_k": self.overlap_at_k.mean,
            "rbo": self.rbo.mean,
            "overlap_ci": {m: getattr(self, m).as_dict() for m in _MEASURES},
        }

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> OverlapFigures | None:
        intervals = section.get("overlap_ci")
        if not isinstance(intervals, Mapping):
            return None
        return cls(*(Estimate.from_dict(intervals[m]) for m in _MEASURES))


@dataclass(frozen=True)
class OverlapResult(FamilyResult):
    """Per-query agreement of the two top-k lists (rows follow the corpus' queries)."""

    query_ids: tuple[str, ...]
    query_domains: tuple[str, ...]
    k: int
    jaccard: np.ndarray
    overlap_at_k: np.ndarray  # |A ∩ B| / k (k: the longer list, when k exceeds the corpus)
    rbo: np.ndarray
    entered: tuple[tuple[int, ...], ...]  # document positions new in the candidate's top-k
    left: tuple[tuple[int, ...], ...]  # document positions the candidate dropped
    n_resamples: int = 1000
    random_state: int = 0
    weights: np.ndarray | None = None  # each query's asks (a query log); None: one each

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"query_id": self.query_ids, "domain": self.query_domains})
        return pd.concat([frame, self.query_columns()], axis=1)

    def query_columns(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "jaccard": self.jaccard,
                "overlap_at_k": self.overlap_at_k,
                "rbo": self.rbo,
                "n_entered": [len(e) for e in self.entered],
                "n_left": [len(x) for x in self.left],
            }
        )

    def by_domain(self, names: Sequence[str]) -> dict[str, OverlapFigures]:
        """Per domain (and overall): mean and bootstrap 95% interval of each measure."""
        return {
            name: OverlapFigures(
                *(
                    bootstrap_mean(
                        getattr(self, m)[rows],
                        n_resamples=self.n_resamples,
                        random_state=self.random_state,
                        weights=None if self.weights is None else self.weights[rows],
                    )
                    for m in _MEASURES
                )
            )
            for name, rows in domain_groups(self.query_domains, names).items()
        }


def retrieval_overlap(
    baseline: Ranking,
    candidate: Ranking,
    *,
    k: int,
    query_ids: Sequence[str],
    query_domains: Sequence[str],
    p: float = 0.9,
    n_resamples: int = 1000,
    random_state: int = 0,
    weights: np.ndarray | None = None,
) -> OverlapResult:
    """Jaccard, overlap@k and RBO of each query's two top-k lists, and what entered and left."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    rows = len(query_ids)
    jac, ovl, rbo = np.zeros(rows), np.zeros(rows), np.zeros(rows)
    entered, left = [], []
    base_rows, cand_rows = baseline.indices[:, :k].tolist(), candidate.indices[:, :k].tolist()
    for q in range(rows):
        a = [i for i in base_rows[q] if i >= 0]
        b = [i for i in cand_rows[q] if i >= 0]
        in_a, in_b = set(a), set(b)
        jac[q] = jaccard(a, b)
        ovl[q] = len(in_a & in_b) / max(len(a), len(b), 1) if (a or b) else 1.0
        rbo[q] = rank_biased_overlap(a, b, p=p)
        entered.append(tuple(i for i in b if i not in in_a))
        left.append(tuple(i for i in a if i not in in_b))
    return OverlapResult(
        tuple(query_ids),
        tuple(query_domains),
        k,
        jac,
        ovl,
        rbo,
        tuple(entered),
        tuple(left),
        n_resamples,
        random_state,
        weights,
    )


def _compute(inputs: Inputs) -> OverlapResult:
    corpus, config = inputs.corpus, inputs.config
    return retrieval_overlap(
        inputs.baseline_ranking,
        inputs.candidate_ranking,
        k=config.k,
        p=config.rbo_p,
        query_ids=corpus.query_ids,
        query_domains=corpus.query_domains,
        n_resamples=config.bootstrap_resamples if config.inference else 0,
        random_state=config.random_state,
        weights=corpus.query_weight_array,
    )


OVERLAP = Family("overlap", _compute)
