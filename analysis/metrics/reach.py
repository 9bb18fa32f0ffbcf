"""Reachability: how many queries retrieve each document in their top-k, under each model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.metrics.grouping import domain_groups
from analysis.retrieval import Ranking


@dataclass(frozen=True)
class ReachResult:
    """Per document: the number of queries whose top-k holds it, per model.

    A document no query reaches can never be shown to the LLM. ``lost`` documents were
    reached by some query under the baseline and by none under the candidate.
    """

    doc_domains: tuple[str, ...]
    k: int
    baseline: np.ndarray  # (n_docs,) query counts
    candidate: np.ndarray

    @property
    def lost(self) -> np.ndarray:
        return (self.baseline > 0) & (self.candidate == 0)

    @property
    def gained(self) -> np.ndarray:
        return (self.baseline == 0) & (self.candidate > 0)

    def to_frame(self, doc_ids: Sequence[str]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "doc_id": doc_ids,
                "domain": self.doc_domains,
                "reach_baseline": self.baseline,
                "reach_candidate": self.candidate,
                "lost_reach": self.lost,
            }
        )

    def by_domain(self, names: Sequence[str]) -> dict[str, dict]:
        out = {}
        for name, rows in domain_groups(self.doc_domains, names).items():
            out[name] = {
                "unreachable_docs": {
                    "baseline": int((self.baseline[rows] == 0).sum()),
                    "candidate": int((self.candidate[rows] == 0).sum()),
                },
                "lost_reach_docs": int(self.lost[rows].sum()),
                "gained_reach_docs": int(self.gained[rows].sum()),
            }
        return out


def reachability(
    baseline: Ranking, candidate: Ranking, *, k: int, doc_domains: Sequence[str]
) -> ReachResult:
    counts = []
    for ranking in (baseline, candidate):
        top = ranking.indices[:, :k]
        counts.append(np.bincount(top[top >= 0], minlength=len(doc_domains)))
    return ReachResult(tuple(doc_domains), k, counts[0], counts[1])
