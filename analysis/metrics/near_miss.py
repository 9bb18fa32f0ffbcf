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
from analysis.nearmiss.columns import Items
from analysis.nearmiss.encoded import EncodedTexts, NearMissItems

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

    encoded: NearMissItems
    margin_baseline: np.ndarray
    margin_candidate: np.ndarray
    n_resamples: int = 10_000
    random_state: int = 0

    @property
    def items(self) -> Items:
        return self.encoded.items

    def to_frame(self) -> pd.DataFrame:
        items = self.items
        spans = items.spans
        texts = np.asarray(items.texts, dtype=object)
        return pd.DataFrame(
            {
                "query": list(items.queries),
                "doc_id": list(items.doc_ids),
                "domain": list(items.domains),
                "rule": list(items.rules),
                "passage": texts[items.passage_rows],
                "near_miss": texts[items.near_miss_rows],
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
    encoded: NearMissItems, *, n_resamples: int = 10_000, random_state: int = 0
) -> NearMissResult:
    """Both models' margins, cos(q, passage) − cos(q, near miss), per item.

    >>> import numpy as np
    >>> from analysis.nearmiss.columns import Item, Items
    >>> from analysis.nearmiss.encoded import EncodedTexts, NearMissItems
    >>> items = Items.of([Item("q", 0, "d", "legal", "negation", "p", "n", (0, 0, 0, 4))],
    ...     "judged pairs", {})
    >>> one, tilted = np.array([[1.0, 0.0]]), np.array([[0.6, 0.8]])
    >>> both = np.vstack([one, tilted])  # the passage, then its near miss
    >>> encoded = NearMissItems(items, np.array([0]), EncodedTexts(one, both),
    ...     EncodedTexts(one, both[::-1]))
    >>> result = near_miss_sensitivity(encoded)
    >>> float(result.margin_baseline[0]), float(result.margin_candidate[0])
    (0.4, -0.4)
    """
    items = encoded.items
    rows = (encoded.query_rows, items.passage_rows, items.near_miss_rows)
    margins = [_margins(side, *rows) for side in (encoded.baseline, encoded.candidate)]
    return NearMissResult(encoded, margins[0], margins[1], n_resamples, random_state)


_CHUNK = 1024  # items a step: each step's copies of their vectors stay small and warm


def _margins(
    side: EncodedTexts, query_rows: np.ndarray, passage_rows: np.ndarray, near_rows: np.ndarray
) -> np.ndarray:
    """cos(q, passage) − cos(q, near miss) per item, in float64 (a margin is often a few
    1e-4): lengths once per text, dot products a chunk of items at a time (a copy of every
    item's vectors, float64 or not, cost more than the arithmetic); a zero vector's cosines
    are 0."""
    query_lengths, text_lengths = _lengths(side.queries), _lengths(side.texts)
    margins = np.empty(len(query_rows))
    for start in range(0, len(query_rows), _CHUNK):
        chunk = slice(start, start + _CHUNK)
        q, p, n = query_rows[chunk], passage_rows[chunk], near_rows[chunk]
        queries = side.queries[q]
        to_passage = _dot(queries, side.texts[p]) / (query_lengths[q] * text_lengths[p])
        to_near = _dot(queries, side.texts[n]) / (query_lengths[q] * text_lengths[n])
        margins[chunk] = to_passage - to_near
    return margins


def _dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, y, dtype=np.float64)


def _lengths(vectors: np.ndarray) -> np.ndarray:
    lengths = np.sqrt(_dot(vectors, vectors))
    return np.where(lengths == 0, 1.0, lengths)


def _compute(inputs: Inputs) -> NearMissResult | None:
    asked = inputs.near_misses
    encoded = asked() if callable(asked) else asked  # encoded now, when the pipeline defers it
    if encoded is None or len(encoded.items) == 0:
        return None
    return near_miss_sensitivity(encoded)


NEAR_MISS = Family("near_miss", _compute)
