"""Near-miss sensitivity: what the fine-tune bought, per domain and per rule.

For a (query, passage) pair and its near miss (the passage with one rule's edit: a negation,
two roles swapped, a number changed, a condition flipped), a model is *sensitive* when it
scores the query closer to the passage than to its near miss. Per domain and rule, for each
model:

* sensitivity = the share of items with cos(q, passage) > cos(q, near miss);
* margin = the mean of cos(q, passage) − cos(q, near miss).

The candidate's change is tested as relevance is: the per-item margin differences
(candidate − baseline) by the same paired sign-flip test, p-values adjusted across domains
by Benjamini–Hochberg for each rule. The items come from the pipeline
(``analysis.nearmiss.items``): passages and near misses encoded by each model, queries the
corpus' own vectors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import OVERALL
from analysis.metrics.quality import benjamini_hochberg, paired_randomisation_test
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
        return pd.DataFrame(
            {
                "query": list(items.queries),
                "doc_id": list(items.doc_ids),
                "domain": list(items.domains),
                "rule": list(items.rules),
                "passage": list(items.passages),
                "near_miss": list(items.near_misses),
                "edit_start": [s[0] for s in items.spans],
                "edit_end": [s[1] for s in items.spans],
                "near_miss_edit_start": [s[2] for s in items.spans],
                "near_miss_edit_end": [s[3] for s in items.spans],
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
        groups = {name: domains == name for name in names} | {OVERALL: np.ones(len(domains), bool)}
        figures: dict[str, dict[str, dict[str, float | int | None]]] = {n: {} for n in groups}
        every_rule = [ALL_RULES, *sorted(set(self.items.rules))]
        rows_of = {
            (name, rule): np.flatnonzero(
                in_domain & (np.ones(len(rules), bool) if rule == ALL_RULES else rules == rule)
            )
            for rule in every_rule
            for name, in_domain in groups.items()
        }
        p_values = self._p_values(rows_of)
        for rule in every_rule:
            tested: dict[str, float] = {}
            for name in groups:
                figures[name][rule] = self._figures(rows_of[name, rule], p_values[name, rule])
                p = figures[name][rule]["p_value"]
                if p is not None and name != OVERALL:
                    tested[name] = float(p)
            for name, adjusted in benjamini_hochberg(tested).items():
                figures[name][rule]["p_value_bh"] = adjusted
        return {name: NearMissFigures(rules) for name, rules in figures.items()}

    def _p_values(self, rows_of: dict[tuple[str, str], np.ndarray]) -> dict[Any, float | None]:
        """Each group's sign-flip test, on as many threads as cores (each test draws from a
        generator of its own, so the p-values are those of one thread; NumPy's draws and
        lookups run outside the GIL): the tests were most of what the family costs."""
        import os
        from concurrent.futures import ThreadPoolExecutor

        def test(rows: np.ndarray) -> float | None:
            if len(rows) == 0:
                return None
            differences = self.margin_candidate[rows] - self.margin_baseline[rows]
            return paired_randomisation_test(
                differences, n_resamples=self.n_resamples, random_state=self.random_state
            )

        keys = sorted(rows_of, key=lambda key: -len(rows_of[key]))  # the largest first
        with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, 8)) as pool:
            return dict(zip(keys, pool.map(test, (rows_of[k] for k in keys)), strict=True))

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
    margins = []
    for queries, passages, near in (
        (items.baseline_queries, items.baseline_passages, items.baseline_near_misses),
        (items.candidate_queries, items.candidate_passages, items.candidate_near_misses),
    ):
        q = _unit(queries)
        margins.append((q * _unit(passages)).sum(axis=1) - (q * _unit(near)).sum(axis=1))
    return NearMissResult(items, margins[0], margins[1], n_resamples, random_state)


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _compute(inputs: Inputs) -> NearMissResult | None:
    items = inputs.near_misses
    if items is None or len(items.queries) == 0:
        return None
    return near_miss_sensitivity(items)


NEAR_MISS = Family("near_miss", _compute)
