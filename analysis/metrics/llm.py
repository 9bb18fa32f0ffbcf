"""The team's LLM in the loop: what it answers from each model's context, what it says of
the documents that entered and left, and how far its judgments can be trusted.

Three uses, each per domain, for a seeded sample of queries split evenly over domains:

1. **Answers.** The LLM answers each query from the baseline's context and from the
   candidate's (``analysis.context``). With reference answers: SQuAD exact match and token
   F1 per model, the paired F1 difference with the randomisation test ``quality`` uses and
   Benjamini–Hochberg across domains. Without: the LLM judges which answer is better, twice
   with the order swapped; a disagreement between the two orders counts as a tie (position
   bias), as does an unreadable verdict. Win / tie / loss is the candidate's.
2. **Changed documents without qrels.** Only the documents that entered or left a query's
   top-k are judged relevant or not, so the cost grows with the change, not the corpus.
3. **Trust in the judge.** Where the corpus has judgments, the judge's agreement with them
   on a seeded sample of judged pairs: accuracy and Cohen's κ, shown next to every
   LLM-derived number, with a warning when κ is low.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from analysis.context import context_text
from analysis.llm.calls import LLMCalls, Request
from analysis.llm.prompts import (
    answer_request,
    pairwise_request,
    read_preference,
    read_relevance,
    relevance_request,
)
from analysis.metrics.answer_contexts import context_setting, ranked_to_depth
from analysis.metrics.answer_text import exact_match, normalize_answer, token_f1
from analysis.metrics.changed import CHANGED, ChangedAnswers
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import domain_groups, mean_or_none
from analysis.metrics.llm_judge import JudgeAgreement, agreement_pairs, judge_agreement
from analysis.metrics.quality import benjamini_hochberg, paired_randomisation_test

JUDGED_DOC_CHARS = 2000  # the opening of a document the judge reads (bounds the cost)
MODELS = ("baseline", "candidate")


@dataclass(frozen=True)
class LLMFigures:
    """One domain's LLM results (summary key ``llm``).

    Answers with references: ``exact_match`` / ``f1`` per model, ``f1_delta`` (candidate −
    baseline) and its p-values. Answers without: the candidate's ``wins`` / ``ties`` /
    ``losses`` and ``preference`` (mean of +1 / 0 / −1) with its p-values. Changed
    documents: how many that left (``dropped_*``) and entered (``added_*``) were judged and
    judged relevant, and ``net_relevant_per_query`` (relevant added − relevant dropped,
    averaged over queries whose top-k changed) with its p-values.
    """

    n_queries: int
    with_reference: int
    exact_match: dict[str, float | None]
    f1: dict[str, float | None]
    f1_delta: float | None
    f1_p_value: float | None
    f1_p_value_bh: float | None
    wins: int
    ties: int
    losses: int
    preference: float | None
    preference_p_value: float | None
    preference_p_value_bh: float | None
    dropped_judged: int
    dropped_relevant: int
    added_judged: int
    added_relevant: int
    net_relevant_per_query: float | None
    net_p_value: float | None
    net_p_value_bh: float | None
    unreadable_verdicts: int

    def dropped_relevant_share(self) -> float | None:
        return self.dropped_relevant / self.dropped_judged if self.dropped_judged else None

    def added_relevant_share(self) -> float | None:
        return self.added_relevant / self.added_judged if self.added_judged else None

    def to_json(self) -> dict[str, Any]:
        return {"llm": {f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> LLMFigures | None:
        values = section.get("llm")
        if not isinstance(values, Mapping):
            return None
        return cls(**{f.name: values[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class LLMResult(FamilyResult):
    """Per sampled query: both answers and their scores or the verdicts; per judged change:
    the verdict; the judge's agreement."""

    queries: pd.DataFrame  # one row per corpus query (nan / None where not sampled)
    judgments: pd.DataFrame  # query_id, doc_id, change, relevant
    agreement_pairs: pd.DataFrame  # query_id, doc_id, grade, judged_relevant
    contexts: pd.DataFrame  # query_id, model, context: what the LLM was given
    agreement: JudgeAgreement
    manifest: dict[str, Any]
    n_resamples: int = 10_000
    random_state: int = 0
    weights: np.ndarray | None = None  # each query's asks (a query log); None: one each

    def to_frame(self) -> pd.DataFrame:
        return self.queries

    def query_columns(self) -> pd.DataFrame:
        return self.queries.drop(columns=["query_id", "domain"])

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "llm_judgments": self.judgments,
            "llm_agreement": self.agreement_pairs,
            "llm_contexts": self.contexts,
        }

    def summary_entries(self) -> dict[str, Any]:
        return self.agreement.to_json()

    def manifest_entries(self) -> dict[str, Any]:
        return {"llm": self.manifest}

    def by_domain(self, names: Sequence[str]) -> dict[str, LLMFigures]:
        q = self.queries
        sampled = q["llm_sampled"].to_numpy(bool)
        entries: dict[str, dict[str, Any]] = {}
        for name, rows in domain_groups(q["domain"].to_numpy(object), names).items():
            rows = rows[sampled[rows]]
            if not len(rows):
                continue
            part = q.iloc[rows]
            asks = None if self.weights is None else pd.Series(self.weights[rows], part.index)
            entries[name] = {
                **self._answer_entries(part, asks),
                **self._change_entries(part, asks),
                "n_queries": len(rows),
                "unreadable_verdicts": int(part["llm_unreadable_verdicts"].sum()),
            }
        for test in ("f1", "preference", "net"):
            tested = {
                n: e[f"{test}_p_value"]
                for n, e in entries.items()
                if n in names and e[f"{test}_p_value"] is not None
            }
            adjusted = benjamini_hochberg(tested)
            for n, e in entries.items():
                e[f"{test}_p_value_bh"] = adjusted.get(n, e[f"{test}_p_value"])
        return {n: LLMFigures(**e) for n, e in entries.items()}

    def _test(self, differences: np.ndarray) -> float | None:
        if not len(differences):
            return None
        return paired_randomisation_test(
            differences, n_resamples=self.n_resamples, random_state=self.random_state
        )

    def _answer_entries(self, part: pd.DataFrame, asks: pd.Series | None) -> dict[str, Any]:
        referenced = part[part["llm_f1_baseline"].notna()]
        w = _weights_of(asks, referenced.index)
        f1 = {m: mean_or_none(referenced[f"llm_f1_{m}"].to_numpy(float), w) for m in MODELS}
        em = {m: mean_or_none(referenced[f"llm_em_{m}"].to_numpy(float), w) for m in MODELS}
        delta = (referenced["llm_f1_candidate"] - referenced["llm_f1_baseline"]).to_numpy(float)
        preferred = part["llm_preference"].dropna()
        outcome = preferred.to_numpy(float)
        return {
            "with_reference": len(referenced),
            "exact_match": em,
            "f1": f1,
            "f1_delta": mean_or_none(delta, w),
            "f1_p_value": self._test(delta),
            "wins": int((outcome > 0).sum()),
            "ties": int((outcome == 0).sum()),
            "losses": int((outcome < 0).sum()),
            "preference": mean_or_none(outcome, _weights_of(asks, preferred.index)),
            "preference_p_value": self._test(outcome),
        }

    def _change_entries(self, part: pd.DataFrame, asks: pd.Series | None) -> dict[str, Any]:
        judged = self.judgments[self.judgments["query_id"].isin(set(part["query_id"]))]
        readable = judged[judged["relevant"].notna()]
        left = readable[readable["change"] == "left"]
        entered = readable[readable["change"] == "entered"]
        counted = part["llm_net_relevant"].dropna()
        net = counted.to_numpy(float)
        return {
            "dropped_judged": len(left),
            "dropped_relevant": int(left["relevant"].astype(bool).sum()),
            "added_judged": len(entered),
            "added_relevant": int(entered["relevant"].astype(bool).sum()),
            "net_relevant_per_query": mean_or_none(net, _weights_of(asks, counted.index)),
            "net_p_value": self._test(net),
        }


def sample_queries(domains: Sequence[str], size: int | None, *, random_state: int) -> np.ndarray:
    """Positions of a seeded sample of ``size`` queries split evenly over domains (a small
    domain gives all it has); every query when ``size`` is None.

    >>> sample_queries(["a", "a", "a", "b"], 2, random_state=0).tolist()
    [2, 3]
    """
    if size is None:
        return np.arange(len(domains))
    rng = np.random.default_rng(random_state)
    names = sorted(set(domains))
    share = math.ceil(size / max(len(names), 1))
    chosen: list[int] = []
    for name, rows in domain_groups(domains, names).items():
        if name in names:
            chosen += rng.permutation(rows)[:share].tolist()
    return np.array(sorted(chosen), dtype=np.int64)


def _compute(inputs: Inputs) -> LLMResult | None:
    llm = inputs.llm
    if llm is None:
        return None
    corpus, config = inputs.corpus, inputs.config
    sampled = sample_queries(
        corpus.query_domains, config.llm_queries, random_state=config.random_state
    )
    setting = context_setting(inputs)
    rankings = ranked_to_depth(inputs)
    texts = corpus.doc_texts
    contexts = [
        (corpus.query_ids[q], model, context_text(
            setting.documents(ranking, q),
            texts,
            k=len(texts),
            budget=setting.budget,
            measure=setting.measure,
        ))
        for q in sampled
        for model, ranking in zip(MODELS, rankings, strict=True)
    ]  # fmt: skip
    answer_requests = [
        answer_request(corpus.query_texts[corpus.query_index[query_id]], context)
        for query_id, _, context in contexts
    ]
    changes = _changes(inputs.result(CHANGED), {corpus.query_ids[q] for q in sampled})
    change_requests = [_relevance(corpus, r.query_id, r.doc_id) for r in changes.itertuples()]
    pairs, negatives = agreement_pairs(inputs, config.llm_agreement_pairs)
    pair_requests = [_relevance(corpus, r.query_id, r.doc_id) for r in pairs.itertuples()]
    unreferenced = [q for q in sampled if corpus.query_ids[q] not in corpus.answers]
    _announce(llm, answer_requests + change_requests + pair_requests, 2 * len(unreferenced))

    replies = llm.ask(answer_requests, stage="LLM answers")
    answers = {int(q): (replies[2 * i], replies[2 * i + 1]) for i, q in enumerate(sampled.tolist())}
    verdicts = _pairwise(llm, corpus, answers, unreferenced)
    relevant = [read_relevance(r) for r in llm.ask(change_requests, stage="LLM judging changes")]
    changes = changes.assign(relevant=pd.array(relevant, dtype="boolean"))
    said = [read_relevance(r) for r in llm.ask(pair_requests, stage="LLM judge agreement")]
    pairs = pairs.assign(judged_relevant=pd.array(said, dtype="boolean"))
    spec = llm.model.spec
    return LLMResult(
        _query_frame(corpus, answers, verdicts, changes),
        changes,
        pairs,
        pd.DataFrame(contexts, columns=["query_id", "model", "context"]),
        judge_agreement(pairs, spec, llm.model.embedded, negatives),
        {
            "model": spec,
            "embedded": llm.model.embedded,
            "queries": len(sampled),
            "of_queries": corpus.n_queries,
            "calls_made": llm.made,
            "calls_from_cache": llm.served,
            "judged_document_chars": JUDGED_DOC_CHARS,
        },
        config.permutation_resamples,
        config.random_state,
        corpus.query_weight_array,
    )


def _announce(llm: LLMCalls, requests: list[Request], pairwise_at_most: int) -> None:
    cached = llm.cached(requests)
    distinct = len({llm.key(r) for r in requests})
    tokens = sum(r.estimated_tokens() for r in requests)
    llm.report(
        f"LLM plan ({llm.model.spec}): {distinct - cached:,} calls to make ({cached:,} cached), "
        f"plus at most {pairwise_at_most:,} answer comparisons; about {tokens:,} tokens in all"
        + (f"; stops at --max-llm-calls {llm.max_calls:,}" if llm.max_calls is not None else "")
    )


def _relevance(corpus: Any, query_id: str, doc_id: str) -> Request:
    query = corpus.query_texts[corpus.query_index[query_id]]
    return relevance_request(query, corpus.doc_texts[corpus.doc_index[doc_id]][:JUDGED_DOC_CHARS])


def _changes(changed: ChangedAnswers | None, queries: set[str]) -> pd.DataFrame:
    """The (query, document) pairs that entered or left a sampled query's top-k."""
    columns = ["query_id", "doc_id", "change"]
    if changed is None:
        return pd.DataFrame(columns=columns)
    moves = changed.moves
    moved = moves[moves["change"].isin(["left", "entered"]) & moves["query_id"].isin(queries)]
    return moved[columns].reset_index(drop=True)


def _pairwise(
    llm: LLMCalls,
    corpus: Any,
    answers: Mapping[int, tuple[str, str]],
    queries: Sequence[int],
) -> dict[int, tuple[float, int]]:
    """Per query without reference answers: the candidate's outcome (+1 / 0 / −1) and how
    many of its two verdicts were unreadable. Identical answers tie without a call."""
    asked = [
        q for q in queries if normalize_answer(answers[q][0]) != normalize_answer(answers[q][1])
    ]
    requests = []
    for q in asked:
        base, cand = answers[q]
        question = corpus.query_texts[q]
        requests += [pairwise_request(question, base, cand), pairwise_request(question, cand, base)]
    replies = llm.ask(requests, stage="LLM comparing answers")
    out: dict[int, tuple[float, int]] = {q: (0.0, 0) for q in queries}
    for i, q in enumerate(asked):
        first, swapped = read_preference(replies[2 * i]), read_preference(replies[2 * i + 1])
        unreadable = (first is None) + (swapped is None)
        # candidate better: "B" with the baseline first, "A" with the candidate first
        if first == "B" and swapped == "A":
            out[q] = (1.0, unreadable)
        elif first == "A" and swapped == "B":
            out[q] = (-1.0, unreadable)
        else:
            out[q] = (0.0, unreadable)  # a tie, a disagreement or an unreadable verdict
    return out


def _query_frame(
    corpus: Any,
    answers: Mapping[int, tuple[str, str]],
    verdicts: Mapping[int, tuple[float, int]],
    changes: pd.DataFrame,
) -> pd.DataFrame:
    n = corpus.n_queries
    columns: dict[str, Any] = {
        "llm_sampled": np.zeros(n, dtype=bool),
        "llm_answer_baseline": [None] * n,
        "llm_answer_candidate": [None] * n,
        **{f"llm_{s}_{m}": np.full(n, np.nan) for s in ("em", "f1") for m in MODELS},
        "llm_preference": np.full(n, np.nan),
        "llm_unreadable_verdicts": np.zeros(n, dtype=np.int64),
        "llm_net_relevant": np.full(n, np.nan),
    }
    for q, pair in answers.items():
        columns["llm_sampled"][q] = True
        columns["llm_answer_baseline"][q], columns["llm_answer_candidate"][q] = pair
        references = corpus.answers.get(corpus.query_ids[q])
        if references:
            for model, said in zip(MODELS, pair, strict=True):
                columns[f"llm_em_{model}"][q] = exact_match(said, references)
                columns[f"llm_f1_{model}"][q] = token_f1(said, references)
    for q, (outcome, unreadable) in verdicts.items():
        columns["llm_preference"][q] = outcome
        columns["llm_unreadable_verdicts"][q] = unreadable
    readable = changes[changes["relevant"].notna()]
    for query_id, rows in readable.groupby("query_id"):
        relevant = rows["relevant"].astype(bool)
        gained = int((relevant & (rows["change"] == "entered")).sum())
        lost = int((relevant & (rows["change"] == "left")).sum())
        columns["llm_net_relevant"][corpus.query_index[query_id]] = gained - lost
    unreadable_changes = changes[changes["relevant"].isna()].groupby("query_id").size()
    for query_id, count in unreadable_changes.items():
        columns["llm_unreadable_verdicts"][corpus.query_index[query_id]] += int(count)
    frame = pd.DataFrame({"query_id": corpus.query_ids, "domain": corpus.query_domains})
    return pd.concat([frame, pd.DataFrame(columns)], axis=1)


LLM = Family("llm", _compute)


def _weights_of(asks: pd.Series | None, index: pd.Index) -> np.ndarray | None:
    """The asks of the rows ``index`` names (None: every query counts once)."""
    return None if asks is None else asks.loc[index].to_numpy(float)
