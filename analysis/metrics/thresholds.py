"""Similarity-cutoff exclusions and the recall horizon.

A RAG pipeline passes the LLM every document whose similarity to the query reaches a
cutoff τ. For the baseline, τ defaults to the median over queries of the baseline's k-th
best score. The candidate is judged (a) at the same τ — what happens when a team swaps the
model and keeps its threshold — and (b) at a calibrated τ' at which it admits exactly as
many (query, document) pairs overall as the baseline did. A pair is *excluded* when the
baseline admits it and the candidate does not.

Nothing query x document is held in memory: the scores are read twice, in tiles, by the
passes of :mod:`analysis.metrics.threshold_passes` (histograms, then the admitted pairs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import OVERALL
from analysis.metrics.horizon_curve import HorizonCurve, horizon_curve
from analysis.metrics.threshold_passes import (
    TILE_ELEMENTS,
    bin_of,
    calibration_bin,
    collect_pairs,
    grades_of,
    nth_largest,
    tile_columns,
)
from analysis.retrieval import Ranking, unit_rows
from analysis.shards.documents import DocumentVectors


@dataclass(frozen=True)
class ExclusionFigures:
    """One document domain's (query, document) pairs the baseline admits at the cutoff, and
    the counts and shares of them the candidate excludes, at the same and at the calibrated
    cutoff; all pairs, and judged-relevant pairs only (the useful documents lost).

    Summary keys: every field, at the top of the domain's section.
    """

    admitted_pairs_baseline: int
    excluded_same_cutoff: int
    excluded_calibrated: int
    excluded_share_same_cutoff: float | None
    excluded_share_calibrated: float | None
    relevant_admitted_baseline: int
    relevant_excluded_same_cutoff: int
    relevant_excluded_calibrated: int
    relevant_excluded_share_same_cutoff: float | None
    relevant_excluded_share_calibrated: float | None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, section: Mapping[str, Any]) -> ExclusionFigures | None:
        if "admitted_pairs_baseline" not in section:
            return None
        return cls(**{f.name: section[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class CutoffSettings:
    """The cutoff the exclusions were measured at, where it came from, and the calibrated
    candidate cutoff (summary key ``thresholds``; None when the corpus has no queries)."""

    cutoff: float
    cutoff_source: str
    calibrated_candidate_cutoff: float | None

    def to_json(self) -> dict[str, Any]:
        return {"thresholds": {f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def from_json(cls, summary: Mapping[str, Any]) -> CutoffSettings | None:
        settings = summary.get("thresholds")
        if not isinstance(settings, Mapping) or "cutoff" not in settings:
            return None
        return cls(
            settings["cutoff"],
            settings.get("cutoff_source", ""),
            settings.get("calibrated_candidate_cutoff"),
        )


@dataclass(frozen=True)
class ThresholdResult(FamilyResult):
    """Pairs admitted by either model near the cutoffs, with both scores.

    ``query``/``doc`` are positions in the corpus; a pair is listed when the baseline admits
    it at ``cutoff`` or the candidate admits it at ``cutoff`` or ``calibrated_cutoff``.
    """

    query_ids: tuple[str, ...]
    doc_ids: tuple[str, ...]
    doc_domains: tuple[str, ...]
    cutoff_source: str
    cutoff: float
    calibrated_cutoff: float | None  # None when the baseline admits nothing
    query: np.ndarray
    doc: np.ndarray
    score_baseline: np.ndarray
    score_candidate: np.ndarray
    grade: np.ndarray  # judged grade of the pair, 0 when unjudged
    curve: HorizonCurve
    histograms: tuple[np.ndarray, np.ndarray]  # per model (query domains x score bins)
    # per model, each query's best score in each document tile, and the tile width: a re-cut
    # at another cutoff computes only the tiles' rows that can keep a pair (not saved)
    tile_best: tuple[int, list[np.ndarray]] | None = field(default=None, repr=False, compare=False)
    # each query's asks (a query log): the shares weigh a pair by its question's asks
    query_weights: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def admitted_baseline(self) -> np.ndarray:
        return self.score_baseline >= self.cutoff

    @property
    def admitted_candidate_same(self) -> np.ndarray:
        return self.score_candidate >= self.cutoff

    @property
    def admitted_candidate_calibrated(self) -> np.ndarray:
        if self.calibrated_cutoff is None:
            return np.zeros(len(self.doc), dtype=bool)
        return self.score_candidate >= self.calibrated_cutoff

    @property
    def excluded_same(self) -> np.ndarray:
        return self.admitted_baseline & ~self.admitted_candidate_same

    @property
    def excluded_calibrated(self) -> np.ndarray:
        return self.admitted_baseline & ~self.admitted_candidate_calibrated

    def to_frame(self) -> pd.DataFrame:
        """Pairs admitted by the baseline, by either candidate cutoff, or both."""
        return self._frame(np.arange(len(self.doc)))

    def excluded_frame(self) -> pd.DataFrame:
        """The rows of ``to_frame()`` excluded at the same cutoff (built without the rest)."""
        return self._frame(np.flatnonzero(self.excluded_same))

    def _frame(self, rows: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "query_id": np.asarray(self.query_ids, dtype=object)[self.query[rows]],
                "doc_id": np.asarray(self.doc_ids, dtype=object)[self.doc[rows]],
                "score_baseline": self.score_baseline[rows],
                "score_candidate": self.score_candidate[rows],
                "grade": self.grade[rows],
                "admitted_baseline": self.admitted_baseline[rows],
                "admitted_candidate_same_cutoff": self.admitted_candidate_same[rows],
                "admitted_candidate_calibrated": self.admitted_candidate_calibrated[rows],
                "excluded_same_cutoff": self.excluded_same[rows],
                "excluded_calibrated": self.excluded_calibrated[rows],
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"threshold_pairs": self.to_frame(), "horizon_curve": self.curve.to_frame()}

    def document_columns(self) -> pd.DataFrame:
        """Per document, the pairs that exclude it at the same cutoff."""
        counts = np.bincount(self.doc[self.excluded_same], minlength=len(self.doc_ids))
        return pd.DataFrame({"excluded_pairs_same_cutoff": counts.astype(np.int64)})

    def settings(self) -> CutoffSettings:
        return CutoffSettings(self.cutoff, self.cutoff_source, self.calibrated_cutoff)

    def summary_entries(self) -> dict[str, Any]:
        return self.settings().to_json()

    def by_domain(self, names: Sequence[str]) -> dict[str, ExclusionFigures]:
        """Per document domain: admitted pairs and excluded shares, all and judged-relevant.

        The judged-relevant shares count only pairs judged relevant (grade > 0): the useful
        documents lost, apart from the unjudged ones a precision-tuned model prunes on
        purpose in its own domain.
        """
        labels = np.asarray(self.doc_domains, dtype=object)[self.doc]
        relevant = self.grade > 0
        asks = None if self.query_weights is None else self.query_weights[self.query]

        def _share(mask: np.ndarray, of: np.ndarray) -> float | None:
            if not of.any():
                return None
            if asks is None:  # every query once: counts, no float pass over the pairs
                return float(mask.sum() / of.sum())
            return float(asks[mask].sum() / asks[of].sum())

        out = {}
        for name in [*names, OVERALL]:
            rows = np.ones(len(labels), bool) if name == OVERALL else labels == name
            admitted = int((self.admitted_baseline & rows).sum())
            useful = int((self.admitted_baseline & rows & relevant).sum())
            same, calibrated = self.excluded_same & rows, self.excluded_calibrated & rows
            out[name] = ExclusionFigures(
                admitted_pairs_baseline=admitted,
                excluded_same_cutoff=int(same.sum()),
                excluded_calibrated=int(calibrated.sum()),
                excluded_share_same_cutoff=_share(same, self.admitted_baseline & rows),
                excluded_share_calibrated=_share(calibrated, self.admitted_baseline & rows),
                relevant_admitted_baseline=useful,
                relevant_excluded_same_cutoff=int((same & relevant).sum()),
                relevant_excluded_calibrated=int((calibrated & relevant).sum()),
                relevant_excluded_share_same_cutoff=_share(
                    same & relevant, self.admitted_baseline & rows & relevant
                ),
                relevant_excluded_share_calibrated=_share(
                    calibrated & relevant, self.admitted_baseline & rows & relevant
                ),
            )
        return out


ROUNDING_SLACK = 1e-6


def default_cutoff(ranking: Ranking, k: int) -> float:
    """Median over queries of the k-th best score (queries with fewer results are skipped)."""
    column = ranking.scores[:, min(k, ranking.k) - 1]
    column = column[np.isfinite(column)]
    if len(column) == 0:
        raise InputError("no query retrieved any document, so there is no default cutoff")
    # The search (faiss) and the threshold pass (NumPy) sum a dot product in different orders,
    # so the pair that sets the cutoff can score an ulp lower there: a cosine's float32
    # rounding (~1e-6 at most) must not exclude it. And a perfect match can round above 1.
    return float(np.clip(np.median(column) - ROUNDING_SLACK, -1.0, 1.0))


def threshold_exclusions(
    baseline: tuple[np.ndarray, np.ndarray],
    candidate: tuple[np.ndarray, np.ndarray],
    *,
    cutoff: float,
    query_ids: Sequence[str],
    query_domains: Sequence[str],
    doc_ids: Sequence[str],
    doc_domains: Sequence[str],
    qrels_positions: Mapping[int, Mapping[int, int]],
    cutoff_source: str = "user",
    exclude: np.ndarray | None = None,
    tile_elements: int = TILE_ELEMENTS,
    previous: ThresholdResult | None = None,
    documents: DocumentVectors | None = None,
) -> ThresholdResult:
    """Exclusions at the same and the calibrated cutoff, and the recall horizon curve.

    ``baseline`` and ``candidate`` are (query vectors, document vectors);
    ``qrels_positions`` maps query position -> document position -> grade. Passing the
    ``previous`` result for the same inputs reuses its histograms and curve, so moving
    the cutoff costs one pass over the scores instead of two. ``documents``: both models'
    document vectors where they lie (shards), in place of the tuples' document matrices.
    """
    if not -1.0 <= cutoff <= 1.0:
        raise InputError(f"cutoff must be a cosine similarity in [-1, 1], got {cutoff}")
    if documents is None:
        documents = DocumentVectors.in_memory(baseline[1], candidate[1])
    queries = (unit_rows(baseline[0]), unit_rows(candidate[0]))
    columns = tile_columns(len(queries[0]), tile_elements)
    domain_names, domain_of_query = np.unique(
        np.asarray(query_domains, dtype=object), return_inverse=True
    )
    best: list[np.ndarray] | None = None
    if previous is not None:
        hist = list(previous.histograms)
        if previous.tile_best is not None and previous.tile_best[0] == columns:
            best = previous.tile_best[1]  # else (another tile size) every tile is scanned
    else:
        hist, best = documents.score_histograms(
            queries,
            columns=columns,
            domain_of_query=domain_of_query,
            n_domains=len(domain_names),
            exclude=exclude,
        )
    # The histogram count at the cutoff's bin bounds the exact count from above, so the
    # candidate's scores collected from floor_bin up always contain the calibrated cutoff.
    upper_bound = int(hist[0].sum(axis=0)[bin_of(np.float32(cutoff)) :].sum())
    # One bin lower than the histogram says: a pair's score may differ by an ulp between
    # the two passes (their tiles differ in shape), and no such pair may fall out of range.
    floor_bin = max(0, calibration_bin(hist[1].sum(axis=0), upper_bound) - 1)
    pairs = collect_pairs(documents, queries, cutoff, floor_bin, exclude, columns, hist, best)
    n_admitted = int((pairs[2] >= cutoff).sum())
    query, doc, score_base, score_cand = pairs
    calibrated = nth_largest(score_cand[bin_of(score_cand) >= floor_bin], n_admitted)
    # keep the pairs someone admits (the search range of the calibrated cutoff held more)
    admitted = (score_base >= cutoff) | (score_cand >= cutoff)
    if calibrated is not None:
        admitted |= score_cand >= calibrated
    query, doc, score_base, score_cand = (a[admitted] for a in (query, doc, score_base, score_cand))
    grade = grades_of(query, doc, qrels_positions, documents.n_docs)
    curve = (
        previous.curve
        if previous is not None
        else horizon_curve(
            hist, documents, queries, domain_names, domain_of_query, qrels_positions, exclude
        )
    )
    return ThresholdResult(
        tuple(query_ids),
        tuple(doc_ids),
        tuple(doc_domains),
        cutoff_source,
        cutoff,
        calibrated,
        query,
        doc,
        score_base,
        score_cand,
        grade,
        curve,
        (hist[0], hist[1]),
        None if best is None else (columns, best),
    )


def _compute(inputs: Inputs) -> ThresholdResult | None:
    corpus, config = inputs.corpus, inputs.config
    if corpus.n_queries == 0:
        return None
    cutoff, source = config.cutoff, "user"
    if cutoff is None:
        cutoff = default_cutoff(inputs.baseline_ranking, config.k)
        source = f"median over queries of the baseline's {config.k}-th best score"
    with inputs.progress.stage(f"threshold exclusions at cutoff {cutoff:.3f}"):
        result = threshold_exclusions(
            (inputs.baseline.queries, inputs.baseline.documents),
            (inputs.candidate.queries, inputs.candidate.documents),
            documents=inputs.documents,
            cutoff=cutoff,
            cutoff_source=source,
            query_ids=corpus.query_ids,
            query_domains=corpus.query_domains,
            doc_ids=corpus.doc_ids,
            doc_domains=corpus.doc_domains,
            qrels_positions=inputs.qrels,
            exclude=inputs.excluded,
        )
    return replace(result, query_weights=corpus.query_weight_array)


THRESHOLDS = Family(
    "thresholds",
    _compute,
    absent_summary={"thresholds": {"note": "no queries: threshold exclusions need queries"}},
)
