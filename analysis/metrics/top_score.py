"""Top score (a walkthrough family, added to count the files a new family touches): the
similarity of each query's best document under each model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import domain_groups, mean_or_none


@dataclass(frozen=True)
class TopScoreFigures:
    """One domain's mean best-document similarity per model (summary key ``top_score``)."""

    baseline: float | None
    candidate: float | None

    def to_json(self) -> dict[str, Any]:
        return {"top_score": {"baseline": self.baseline, "candidate": self.candidate}}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> TopScoreFigures | None:
        values = section.get("top_score")
        return None if values is None else cls(values["baseline"], values["candidate"])


@dataclass(frozen=True)
class TopScoreResult(FamilyResult):
    query_ids: tuple[str, ...]
    query_domains: tuple[str, ...]
    baseline: np.ndarray
    candidate: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"query_id": self.query_ids, **self.query_columns()})

    def query_columns(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"top_score_baseline": self.baseline, "top_score_candidate": self.candidate}
        )

    def by_domain(self, names: Sequence[str]) -> dict[str, TopScoreFigures]:
        return {
            name: TopScoreFigures(
                mean_or_none(self.baseline[rows]), mean_or_none(self.candidate[rows])
            )
            for name, rows in domain_groups(self.query_domains, names).items()
        }


def _compute(inputs: Inputs) -> TopScoreResult:
    corpus = inputs.corpus
    return TopScoreResult(
        tuple(corpus.query_ids),
        tuple(corpus.query_domains),
        inputs.baseline_ranking.scores[:, 0].astype(float),
        inputs.candidate_ranking.scores[:, 0].astype(float),
    )


TOP_SCORE = Family("top_score", _compute)
