"""Near-miss sensitivity: what the fine-tune bought, per domain and per rule.

For a (query, passage) pair and its near miss (the passage with one rule's edit: a negation,
two roles swapped, a number changed, a condition flipped), a model is *sensitive* when it
scores the query closer to the passage than to its near miss. Per domain and rule, for each
model:

* sensitivity = the share of items with cos(q, passage) > cos(q, near miss);
* margin = the mean of cos(q, passage) − cos(q, near miss).

The candidate's change is tested as relevance is: the per-item margin differences
(candidate − baseline) by the same paired sign-flip test, p-values adjusted across domains
by Benjamini–Hochberg for each rule. The 20-odd overlapping groups share one draw of signs
(:mod:`analysis.metrics.grouped_tests`), each item's sign drawn once, not once a group. The
items come from the pipeline (``analysis.nearmiss.items``): passages and near misses encoded
by each model, queries the corpus' own vectors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouped_tests import grouped_sign_flip_tests
from analysis.metrics.grouping import OVERALL
from analysis.metrics.quality import benjamini_hochberg
from analysis.nearmiss.encoded import NearMissItems

ALL_RULES = "all"


@dataclass(frozen=True)
class NearMissFigures:
    """One domain's sensitivity per rule (and over all rules). Summary key: ``near_miss``:
    ``{rule: {n, sensitivity_baseline, sensitivity_candidate, margin_baseline,
    margin_candidate, p_value, p_value_bh}}``."""

    rules: Mapping[str, Mapping[str, float | int | None]]

    def to_json(self) -> dict[str, Any]:
        return {"near_miss": {rule: dict(values) for rule, values in self.rules.items()}}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> NearMissFigures | None:
        found = section.get("near_miss")
        return cls(found) if isinstance(found, Mapping) else None

    def gain(self, rule: str = ALL_RULES) -> float | None:
        """The candidate's sensitivity minus the baseline's (None without items)."""
        values = self.rules.get(rule) or {}
        base, cand = values.get("sensitivity_baseline"), values.get("sensitivity_candidate")
        return None if base is None or cand is None else float(cand) - float(base)


@dataclass(frozen=True)
class NearMissResult(FamilyResult):
    """Per-item scores of both models (rows: the items)."""

    items: NearMissItems
    margin_baseline: np.ndarray
    margin_candidate: np.ndarray
    n_resamples: int = 10_000
    random_state: int = 0

    def to_frame(self) -> pd.DataFrame:
        items = self.items
        spans = np.asarray(items.spans, dtype=np.int64).reshape(-1, 4)
        return pd.DataFrame(
            {
                "query": list(items.queries),
                "doc_id": list(items.doc_ids),
                "domain": list(items.domains),
                "rule": list(items.rules),
                "passage": list(items.passages),
                "near_miss": list(items.near_misses),
                "edit_start": spans[:, 0],
                "edit_end": spans[:, 1],
                "near_miss_edit_start": spans[:, 2],
                "near_miss_edit_end": spans[:, 3],
                "margin_baseline": self.margin_baseline,
                "margin_candidate": self.margin_candidate,
                "sensitive_baseline": self.margin_baseline > 0,
                "sensitive_candidate": self.margin_candidate > 0,
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"near_misses": self.to_frame()}

    def summary_entries(self) -> dict[str, Any]:
        skipped = {d: dict(r) for d, r in self.items.skipped.items()}
        return {"near_miss": {"items_from": self.items.source, "skipped": skipped}}

    def by_domain(self, names: Sequence[str]) -> dict[str, NearMissFigures]:
        domains = np.asarray(self.items.domains, dtype=object)
        rules = np.asarray(self.items.rules, dtype=object)
        every_rule = [ALL_RULES, *sorted(set(self.items.rules))]
        # the finest groups, (domain, rule) as the items have them; every group a union
        finest = sorted(set(zip(self.items.domains, self.items.rules, strict=True)))
        blocks = [np.flatnonzero((domains == d) & (rules == r)) for d, r in finest]
        members = {
            (name, rule): [
                b
                for b, (d, r) in enumerate(finest)
                if name in (d, OVERALL) and rule in (r, ALL_RULES)
            ]
            for name in [*names, OVERALL]
            for rule in every_rule
        }
        p_values = grouped_sign_flip_tests(
            self.margin_candidate - self.margin_baseline,
            blocks,
            members,
            n_resamples=self.n_resamples,
            random_state=self.random_state,
        )
        figures: dict[str, dict[str, dict[str, float | int | None]]] = {}
        for rule in every_rule:
            tested: dict[str, float] = {}
            for name in [*names, OVERALL]:
                rows = np.concatenate(
                    [np.zeros(0, np.intp)] + [blocks[b] for b in members[name, rule]]
                )
                figures.setdefault(name, {})[rule] = self._figures(
                    np.sort(rows), p_values[name, rule]
                )
                p = p_values[name, rule]
                if p is not None and name != OVERALL:
                    tested[name] = float(p)
            for name, adjusted in benjamini_hochberg(tested).items():
                figures[name][rule]["p_value_bh"] = adjusted
        return {name: NearMissFigures(rules) for name, rules in figures.items()}

    def _figures(self, rows: np.ndarray, p: float | None) -> dict[str, float | int | None]:
        if len(rows) == 0:
            return {"n": 0, "sensitivity_baseline": None, "sensitivity_candidate": None,
                    "margin_baseline": None, "margin_candidate": None, "p_value": None,
                    "p_value_bh": None}  # fmt: skip
        base, cand = self.margin_baseline[rows], self.margin_candidate[rows]
        return {
            "n": int(len(rows)),
            "sensitivity_baseline": float((base > 0).mean()),
            "sensitivity_candidate": float((cand > 0).mean()),
            "margin_baseline": float(base.mean()),
            "margin_candidate": float(cand.mean()),
            "p_value": p,
            "p_value_bh": p,  # one domain alone; adjusted across domains in by_domain
        }


def near_miss_sensitivity(
    items: NearMissItems, *, n_resamples: int = 10_000, random_state: int = 0
) -> NearMissResult:
    """Both models' margins, cos(q, passage) − cos(q, near miss), per item.

    >>> import numpy as np
    >>> one = np.array([[1.0, 0.0]]); tilted = np.array([[0.6, 0.8]])
    >>> from analysis.nearmiss.encoded import NearMissItems
    >>> items = NearMissItems(("q",), ("d",), ("legal",), ("negation",), ("p",), ("n",),
    ...     ((0, 0, 0, 4),), one, one, one, tilted, tilted, one, "judged pairs")
    >>> result = near_miss_sensitivity(items)
    >>> float(result.margin_baseline[0]), float(result.margin_candidate[0])
    (0.4, -0.4)
    """
    margins = [
        _margins(queries, passages, near)
        for queries, passages, near in (
            (items.baseline_queries, items.baseline_passages, items.baseline_near_misses),
            (items.candidate_queries, items.candidate_passages, items.candidate_near_misses),
        )
    ]
    return NearMissResult(items, margins[0], margins[1], n_resamples, random_state)


def _margins(queries: np.ndarray, passages: np.ndarray, near: np.ndarray) -> np.ndarray:
    """cos(q, passage) − cos(q, near miss), row by row, in float64 (a margin is often a few
    1e-4) without float64 copies of the vectors (normalising copies was a third of the
    family's time); a zero vector's cosines are 0."""

    def dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.einsum("ij,ij->i", x, y, dtype=np.float64)

    def norm(x: np.ndarray) -> np.ndarray:
        lengths = np.sqrt(dot(x, x))
        return np.where(lengths == 0, 1.0, lengths)

    q = norm(queries)
    return dot(queries, passages) / (q * norm(passages)) - dot(queries, near) / (q * norm(near))


def _compute(inputs: Inputs) -> NearMissResult | None:
    items = inputs.near_misses
    if items is None or len(items.queries) == 0:
        return None
    return near_miss_sensitivity(items)


NEAR_MISS = Family("near_miss", _compute)
