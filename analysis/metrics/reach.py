"""Reachability: how many queries retrieve each document in their top-k, under each model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import domain_groups
from analysis.retrieval import Ranking


@dataclass(frozen=True)
class ReachFigures:
    """One domain's documents that no query reaches, per model, and how many lost or gained.

    Summary keys: ``unreachable_docs`` (``baseline``, ``candidate``), ``lost_reach_docs``,
    ``gained_reach_docs``.
    """

    unreachable_baseline: int
    unreachable_candidate: int
    lost: int  # reached by some query under the baseline, by none under the candidate
    gained: int

    def to_json(self) -> dict[str, Any]:
        return {
            "unreachable_docs": {
                "baseline": self.unreachable_baseline,
                "candidate": self.unreachable_candidate,
            },
            "lost_reach_docs": self.lost,
            "gained_reach_docs": self.gained,
        }

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> ReachFigures | None:
        unreachable = section.get("unreachable_docs")
        if not isinstance(unreachable, Mapping):
            return None
        return cls(
            unreachable["baseline"],
            unreachable["candidate"],
            section["lost_reach_docs"],
            section["gained_reach_docs"],
        )


@dataclass(frozen=True)
class ReachResult(FamilyResult):
    """Per document: the number of queries whose top-k holds it, per model.

    A document no query reaches can never be shown to the LLM. ``lost`` documents were
    reached by some query under the baseline and by none under the candidate.
    """

    doc_ids: tuple[str, ...]
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

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"doc_id": self.doc_ids, "domain": self.doc_domains})
        return pd.concat([frame, self.document_columns()], axis=1)

    def document_columns(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "reach_baseline": self.baseline,
                "reach_candidate": self.candidate,
                "lost_reach": self.lost,
            }
        )

    def by_domain(self, names: Sequence[str]) -> dict[str, ReachFigures]:
        return {
            name: ReachFigures(
                int((self.baseline[rows] == 0).sum()),
                int((self.candidate[rows] == 0).sum()),
                int(self.lost[rows].sum()),
                int(self.gained[rows].sum()),
            )
            for name, rows in domain_groups(self.doc_domains, names).items()
        }


def reachability(
    baseline: Ranking,
    candidate: Ranking,
    *,
    k: int,
    doc_domains: Sequence[str],
    doc_ids: Sequence[str] | None = None,
) -> ReachResult:
    """How many queries hold each document in their top-k, under each model."""
    counts = []
    for ranking in (baseline, candidate):
        top = ranking.indices[:, :k]
        counts.append(np.bincount(top[top >= 0], minlength=len(doc_domains)))
    ids = tuple(doc_ids) if doc_ids is not None else tuple(str(i) for i in range(len(doc_domains)))
    return ReachResult(ids, tuple(doc_domains), k, counts[0], counts[1])


def _compute(inputs: Inputs) -> ReachResult:
    return reachability(
        inputs.baseline_ranking,
        inputs.candidate_ranking,
        k=inputs.config.k,
        doc_domains=inputs.corpus.doc_domains,
        doc_ids=inputs.corpus.doc_ids,
    )


REACH = Family("reach", _compute)
