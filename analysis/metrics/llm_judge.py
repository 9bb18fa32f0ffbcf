"""Trust in the LLM as a judge: its agreement with the corpus' own judgments on a seeded
sample of judged pairs (accuracy and Cohen's kappa), shown next to every LLM-derived number."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Inputs

LOW_KAPPA = 0.4  # below this the judge's agreement is called low ("moderate" starts at 0.41)


@dataclass(frozen=True)
class JudgeAgreement:
    """The LLM judge against the corpus' judgments (summary key ``llm_judge``).

    ``n_pairs`` judged pairs (relevant: grade > 0), with as many negatives as could be
    found among the judged grade-0 pairs and, where those run short, documents of another
    domain (``negatives`` says which); ``accuracy`` and Cohen's ``kappa`` over the readable
    verdicts; ``low`` when κ < 0.4 or unknown.
    """

    model: str
    embedded: bool
    n_pairs: int
    accuracy: float | None
    kappa: float | None
    unreadable: int
    negatives: str
    low: bool

    def to_json(self) -> dict[str, Any]:
        return {"llm_judge": {f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_json(cls, summary: Mapping[str, Any]) -> JudgeAgreement | None:
        values = summary.get("llm_judge")
        if not isinstance(values, Mapping):
            return None
        return cls(**{f.name: values[f.name] for f in fields(cls)})

    def warning(self) -> str | None:
        """What a reader must know before trusting an LLM-derived number (None: nothing)."""
        said = []
        if self.embedded:
            said.append(
                f"{self.model} is a 135M-parameter model shipped for offline runs and tests; "
                "it is far too small to be a trustworthy judge or answerer"
            )
        if self.kappa is None:
            said.append("the judge could not be checked against judgments (none in the corpus)")
        elif self.low:
            said.append(
                f"the judge agrees with the corpus' judgments at Cohen's κ = {self.kappa:.2f} "
                f"(accuracy {self.accuracy:.0%} on {self.n_pairs} pairs): low agreement, so "
                "its verdicts are close to noise"
            )
        return "; ".join(said) + "." if said else None


def agreement_pairs(inputs: Inputs, size: int) -> tuple[pd.DataFrame, str]:
    """A seeded sample of judged pairs, half relevant and half not where possible."""
    corpus = inputs.corpus
    columns = ["query_id", "doc_id", "grade"]
    judged = [(q, d, g) for q, docs in inputs.qrels.items() for d, g in docs.items()]
    if not judged or size == 0:
        return pd.DataFrame(columns=columns), "none"
    rng = np.random.default_rng(inputs.config.random_state)
    positives = [p for p in judged if p[2] > 0]
    negatives = [p for p in judged if p[2] <= 0]
    half = size // 2
    chosen_pos = [positives[i] for i in rng.permutation(len(positives))[: size - half]]
    chosen_neg = [negatives[i] for i in rng.permutation(len(negatives))[:half]]
    source = "judged grade 0"
    if len(chosen_neg) < half and chosen_pos:  # too few judged negatives
        domains = np.asarray(corpus.doc_domains, dtype=object)
        for i in range(half - len(chosen_neg)):
            q = chosen_pos[i % len(chosen_pos)][0]
            others = np.flatnonzero(domains != corpus.query_domains[q])
            if len(others):  # a document of another domain: taken as not relevant
                chosen_neg.append((q, int(rng.choice(others)), 0))
        source = (
            f"{source}, then documents of another domain"
            if negatives
            else ("documents of another domain")
        )
    rows = [(corpus.query_ids[q], corpus.doc_ids[d], int(g)) for q, d, g in chosen_pos + chosen_neg]
    return pd.DataFrame(rows, columns=columns), source


def judge_agreement(
    pairs: pd.DataFrame, model: str, embedded: bool, negatives: str
) -> JudgeAgreement:
    from sklearn.metrics import cohen_kappa_score

    readable = pairs[pairs["judged_relevant"].notna()] if len(pairs) else pairs
    accuracy = kappa = None
    if len(readable):
        truth = (readable["grade"] > 0).to_numpy(bool)
        said = readable["judged_relevant"].astype(bool).to_numpy()
        accuracy = float((truth == said).mean())
        kappa = float(cohen_kappa_score(truth, said)) if len(set(truth)) > 1 else None
        if kappa is not None and not math.isfinite(kappa):
            kappa = 0.0  # the judge said the same thing every time: no agreement beyond chance
    return JudgeAgreement(
        model,
        embedded,
        len(pairs),
        accuracy,
        kappa,
        int(len(pairs) - len(readable)),
        negatives,
        kappa is None or kappa < LOW_KAPPA,
    )
