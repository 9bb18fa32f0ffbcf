"""Similarity-cutoff exclusions and the recall horizon.

A RAG pipeline passes the LLM every document whose similarity to the query reaches a
cutoff τ. For the baseline, τ defaults to the median over queries of the baseline's k-th
best score. The candidate is judged (a) at the same τ — what happens when a team swaps the
model and keeps its threshold — and (b) at a calibrated τ' at which it admits exactly as
many (query, document) pairs overall as the baseline did. A pair is *excluded* when the
baseline admits it and the candidate does not.

Nothing query x document is held in memory: scores are computed in tiles, twice (once
for score histograms, once to collect the admitted pairs), and each tile is read by a
compiled pass (:mod:`analysis.metrics.score_kernels`). A small comparison uses the NumPy
twins of those passes instead: loading numba's compiled code costs half a second, more than
a few million scores take in NumPy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import OVERALL
from analysis.retrieval import Ranking, unit_rows

BINS_PER_UNIT = 1000  # histogram resolution of scores in [-1, 1]
N_BINS = 2 * BINS_PER_UNIT + 1
CURVE_STEP = 10  # one curve point every 10 bins: a 0.01 grid
MAX_COLLECTED_PAIRS = 50_000_000
TILE_ELEMENTS = 16 * 1024 * 1024  # scores per model per tile: 64 MiB of float32
_TILE_QUERIES = 1024
NUMPY_MAX_SCORES = 4 * 1024 * 1024  # queries x documents up to which NumPy reads the tiles
_ULP_SLACK = np.float32(1e-5)  # far above a float32 dot product's rounding between kernels
Qrels = Mapping[int, Mapping[int, int]]  # query position -> document position -> grade
Spaces = list[tuple[np.ndarray, np.ndarray]]  # per model: (query vectors, document vectors)


@dataclass(frozen=True)
class HorizonCurve:
    """Mean documents admitted per query, and mean recall, as the cutoff sweeps.

    Rows of each array follow ``domains`` (query domains, then ``OVERALL``); columns follow
    ``cutoffs``. Recall is nan for a domain without judged queries.
    """

    cutoffs: np.ndarray
    domains: tuple[str, ...]
    admitted_baseline: np.ndarray
    admitted_candidate: np.ndarray
    recall_baseline: np.ndarray
    recall_candidate: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        frames = []
        for model, admitted, recall in (
            ("baseline", self.admitted_baseline, self.recall_baseline),
            ("candidate", self.admitted_candidate, self.recall_candidate),
        ):
            for row, domain in enumerate(self.domains):
                frames.append(
                    pd.DataFrame(
                        {
                            "domain": domain,
                            "model": model,
                            "cutoff": self.cutoffs,
                            "mean_admitted": admitted[row],
                            "recall": recall[row],
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)


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
    # per model, each query's best score in each document tile, and the tile size: a re-cut
    # at another cutoff computes only the tiles' rows that can keep a pair (not saved)
    tile_best: tuple[int, list[np.ndarray]] | None = field(default=None, repr=False, compare=False)

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
                excluded_share_same_cutoff=_share(same, admitted),
                excluded_share_calibrated=_share(calibrated, admitted),
                relevant_admitted_baseline=useful,
                relevant_excluded_same_cutoff=int((same & relevant).sum()),
                relevant_excluded_calibrated=int((calibrated & relevant).sum()),
                relevant_excluded_share_same_cutoff=_share(same & relevant, useful),
                relevant_excluded_share_calibrated=_share(calibrated & relevant, useful),
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
) -> ThresholdResult:
    """Exclusions at the same and the calibrated cutoff, and the recall horizon curve.

    ``baseline`` and ``candidate`` are (query vectors, document vectors);
    ``qrels_positions`` maps query position -> document position -> grade. Passing the
    ``previous`` result for the same inputs reuses its histograms and curve, so moving
    the cutoff costs one pass over the scores instead of two.
    """
    if not -1.0 <= cutoff <= 1.0:
        raise InputError(f"cutoff must be a cosine similarity in [-1, 1], got {cutoff}")
    spaces = [(unit_rows(q), unit_rows(d)) for q, d in (baseline, candidate)]
    domain_names, domain_of_query = np.unique(
        np.asarray(query_domains, dtype=object), return_inverse=True
    )
    best: list[np.ndarray] | None = None
    if previous is not None:
        hist = list(previous.histograms)
        if previous.tile_best is not None and previous.tile_best[0] == tile_elements:
            best = previous.tile_best[1]  # else (another tile size) every tile is scanned
    else:
        hist, best = _histograms(spaces, domain_of_query, len(domain_names), exclude, tile_elements)
    # The histogram count at the cutoff's bin bounds the exact count from above, so the
    # candidate's scores collected from floor_bin up always contain the calibrated cutoff.
    upper_bound = int(hist[0].sum(axis=0)[_bin(np.float32(cutoff)) :].sum())
    # One bin lower than the histogram says: a pair's score may differ by an ulp between
    # the two passes (their tiles differ in shape), and no such pair may fall out of range.
    floor_bin = max(0, _calibration_bin(hist[1].sum(axis=0), upper_bound) - 1)
    pairs = _collect_pairs(spaces, cutoff, floor_bin, exclude, tile_elements, hist, best)
    n_admitted = int((pairs[2] >= cutoff).sum())
    query, doc, score_base, score_cand = pairs
    calibrated = _nth_largest(score_cand[_bin(score_cand) >= floor_bin], n_admitted)
    # keep the pairs someone admits (the search range of the calibrated cutoff held more)
    admitted = (score_base >= cutoff) | (score_cand >= cutoff)
    if calibrated is not None:
        admitted |= score_cand >= calibrated
    query, doc, score_base, score_cand = (a[admitted] for a in (query, doc, score_base, score_cand))
    grade = _grades(query, doc, qrels_positions, len(spaces[0][1]))
    curve = (
        previous.curve
        if previous is not None
        else _curve(hist, spaces, domain_names, domain_of_query, qrels_positions, exclude)
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
        None if best is None else (tile_elements, best),
    )


def narrowed(
    result: ThresholdResult, cutoff: float, cutoff_source: str = "user"
) -> ThresholdResult:
    """The exclusions at ``cutoff`` >= ``result.cutoff``, from the pairs ``result`` holds: no
    score is computed again.

    Exact: at a higher cutoff the baseline admits a subset of its pairs, and the candidate
    admits a subset at the same cutoff; the calibrated cutoff (the n-th best candidate
    score, n the pairs the baseline admits) can only rise, and ``result`` holds every pair
    scoring at least its own calibrated cutoff. The curve and histograms are unchanged.
    """
    if cutoff < result.cutoff:
        raise ValueError(f"cutoff {cutoff} is below the held pairs' cutoff {result.cutoff}")
    base, cand = result.score_baseline, result.score_candidate
    calibrated = _nth_largest(cand, int((base >= cutoff).sum()))
    admitted = (base >= cutoff) | (cand >= cutoff)
    if calibrated is not None:
        admitted |= cand >= calibrated
    return replace(
        result,
        cutoff_source=cutoff_source,
        cutoff=cutoff,
        calibrated_cutoff=calibrated,
        query=result.query[admitted],
        doc=result.doc[admitted],
        score_baseline=base[admitted],
        score_candidate=cand[admitted],
        grade=result.grade[admitted],
    )


def held_pairs_floor(
    result: ThresholdResult, cutoff: float, *, lowest: float, budget: int
) -> float:
    """The lowest of ``cutoff``, ``cutoff`` - 0.01, ``cutoff`` - 0.02, ... (not below
    ``lowest``) down to which the held pairs (bounded above from ``result``'s histograms)
    stay within ``budget``: pairs held from there give every cutoff above it by
    :func:`narrowed`. ``cutoff`` itself when no lower one fits."""
    base, cand = (h.sum(axis=0) for h in result.histograms)
    from_top = [np.cumsum(h[::-1])[::-1] for h in (base, cand)]
    floor = cutoff
    step = CURVE_STEP / BINS_PER_UNIT
    candidate = cutoff - step
    while candidate >= lowest - 1e-9 and candidate >= -1.0:
        at = int(_bin(np.float32(candidate)))
        admitted = int(from_top[0][at])
        # either model at the cutoff, and the candidate down to its calibrated cutoff
        held = admitted + int(from_top[1][min(at, _calibration_bin(cand, admitted))])
        if held > budget:
            break
        floor, candidate = candidate, candidate - step
    return floor


def _grades(query: np.ndarray, doc: np.ndarray, qrels_positions: Qrels, n_docs: int) -> np.ndarray:
    """Judged grade of each (query, document) pair, 0 when unjudged (vectorised lookup)."""
    judged = [(q * n_docs + d, g) for q, docs in qrels_positions.items() for d, g in docs.items()]
    if not judged:
        return np.zeros(len(query), dtype=np.int64)
    keys, grades = (np.array(v, dtype=np.int64) for v in zip(*sorted(judged), strict=True))
    wanted = query.astype(np.int64) * n_docs + doc
    at = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[at] == wanted, grades[at], 0)


def _score_tiles(
    spaces: Spaces,
    exclude: np.ndarray | None,
    tile_elements: int,
    needed: Callable[[int, int, int], np.ndarray] | None = None,
) -> Iterator[tuple[np.ndarray, int, int, list[np.ndarray]]]:
    """Both models' scores, a (queries x documents) tile at a time: square-ish tiles keep
    the matrix product near the machine's peak (a strip of 16 queries against a million
    documents runs at a quarter of it), and a tile is ``tile_elements`` scores per model.

    Yields (query positions, first document, tile number, scores). ``needed(start, stop,
    tile)`` may narrow a tile to the queries that matter in it (positions from ``start``).
    """
    (base_q, base_d), (cand_q, cand_d) = spaces
    n_queries, n_docs = len(base_q), len(base_d)
    rows = max(1, min(n_queries, _TILE_QUERIES))
    cols = max(1, min(n_docs, tile_elements // rows))
    for start in range(0, n_queries, rows):
        stop = min(start + rows, n_queries)
        for tile, first in enumerate(range(0, n_docs, cols)):
            last = min(first + cols, n_docs)
            picked = np.arange(start, stop) if needed is None else needed(start, stop, tile)
            if len(picked) == 0:
                continue
            sims = [base_q[picked] @ base_d[first:last].T, cand_q[picked] @ cand_d[first:last].T]
            if exclude is not None:
                hit = exclude[picked]
                inside = np.flatnonzero((hit >= first) & (hit < last))
                for scores in sims:
                    scores[inside, hit[inside] - first] = -np.inf
            yield picked, first, tile, sims


def _bin(scores: np.ndarray | np.floating) -> np.ndarray:
    """Histogram bin of each score: floor((s + 1) * 1000), clipped to [0, 2000]; -inf -> -1."""
    scaled = np.floor((np.asarray(scores, dtype=np.float64) + 1.0) * BINS_PER_UNIT)
    binned = np.clip(np.nan_to_num(scaled, neginf=-1), -1, N_BINS - 1).astype(np.int64)
    return binned


def _histograms(
    spaces: Spaces,
    domain_of_query: np.ndarray,
    n_domains: int,
    exclude: np.ndarray | None,
    tile_elements: int,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per model, a (domains x bins) count of (query, document) scores, and each query's
    best score in each document tile (which tiles the collecting pass may skip)."""
    row_histograms, _ = _kernels(spaces)
    hist = [np.zeros((n_domains, N_BINS), np.int64) for _ in range(2)]
    best: list[list[np.ndarray]] = [[], []]
    for picked, _, tile, sims in _score_tiles(spaces, exclude, tile_elements):
        domains = domain_of_query[picked]
        for model, scores in enumerate(sims):
            counts, row_best = row_histograms(scores, N_BINS)
            for domain in np.unique(domains):
                hist[model][domain] += counts[domains == domain].sum(axis=0)
            if picked[0] == 0:
                best[model].append(np.full(len(spaces[0][0]), -np.inf, dtype=np.float32))
            best[model][tile][picked] = row_best
    return hist, [np.column_stack(b) if b else np.zeros((0, 0), np.float32) for b in best]


def _kernels(spaces: Spaces) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The per-tile passes (row histograms, kept pairs): compiled, or NumPy's when the whole
    comparison is small enough that loading the compiled code would cost more."""
    queries, documents = spaces[0]
    if len(queries) * len(documents) <= NUMPY_MAX_SCORES:
        return _row_histograms_numpy, _kept_pairs_numpy
    from analysis.metrics.numba_cache import use_tool_cache_dir

    use_tool_cache_dir()  # before numba is imported: its compiled passes cached there too
    from analysis.metrics.score_kernels import kept_pairs, row_histograms

    return _one_at_a_time(row_histograms), _one_at_a_time(kept_pairs)


# numba's parallel passes are not safe to enter from two threads at once under its fallback
# threading layer (workqueue aborts the process); a dashboard has several threads.
_COMPILED = threading.Lock()


def _one_at_a_time(kernel: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        with _COMPILED:
            return kernel(*args)

    return call


def _row_histograms_numpy(sims: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """``score_kernels.row_histograms`` in NumPy: per row, counts by bin and the best score."""
    bins = np.minimum(_bin(sims), n_bins - 1)  # -1: excluded or below -1, not counted
    offsets = np.arange(len(sims))[:, None] * (n_bins + 1)
    flat = np.bincount((offsets + bins + 1).ravel(), minlength=len(sims) * (n_bins + 1))
    counts = flat.reshape(len(sims), n_bins + 1)[:, 1:]
    best = sims.max(axis=1) if sims.shape[1] else np.full(len(sims), -np.inf, np.float32)
    return counts, best.astype(np.float32)


def _kept_pairs_numpy(
    base: np.ndarray, cand: np.ndarray, cutoff: np.float32, floor_bin: int, n_bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """``score_kernels.kept_pairs`` in NumPy: (rows, cols) in row-major order."""
    kept = (base >= cutoff) | (cand >= cutoff) | (np.minimum(_bin(cand), n_bins - 1) >= floor_bin)
    rows, cols = np.nonzero(kept)
    return rows.astype(np.int64), cols.astype(np.int64)


def _calibration_bin(candidate_counts: np.ndarray, n_admitted: int) -> int:
    """Lowest bin such that the candidate's pairs at or above it number at least n_admitted."""
    from_top = np.cumsum(candidate_counts[::-1])[::-1]
    eligible = np.flatnonzero(from_top >= max(n_admitted, 1))
    return int(eligible.max()) if len(eligible) else 0


def _collect_pairs(
    spaces: Spaces,
    cutoff: float,
    floor_bin: int,
    exclude: np.ndarray | None,
    tile_elements: int,
    hist: list[np.ndarray],
    best: list[np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    _, kept_pairs = _kernels(spaces)
    expected = int(hist[0].sum(axis=0)[_bin(np.float32(cutoff)) :].sum())
    expected += int(hist[1].sum(axis=0)[min(floor_bin, _bin(np.float32(cutoff))) :].sum())
    if expected > MAX_COLLECTED_PAIRS:
        raise InputError(
            f"cutoff {cutoff:.3f} admits about {expected:,} (query, document) pairs; choose a "
            "higher cutoff (the recall horizon curve shows how many each cutoff admits)"
        )
    parts: list[list[np.ndarray]] = [[], [], [], []]
    # float32, as NumPy compares a float32 score with a Python float (NEP 50)
    threshold = np.float32(cutoff)
    # a score in floor_bin or above is at least this (a hair below the bin's edge)
    floor_score = np.float32(floor_bin / BINS_PER_UNIT - 1.0 - 1e-6)

    def needed(start: int, stop: int, tile: int) -> np.ndarray:
        """Queries whose best score in this tile can be kept, by either model's test."""
        if best is None:
            return np.arange(start, stop)
        base, cand = best[0][start:stop, tile], best[1][start:stop, tile]
        # with an ulp's slack (see floor_bin): a narrower tile may score a pair a hair higher
        keep = (base >= threshold - _ULP_SLACK) | (cand >= min(threshold, floor_score) - _ULP_SLACK)
        return start + np.flatnonzero(keep)

    for picked, first, _, (s_base, s_cand) in _score_tiles(spaces, exclude, tile_elements, needed):
        rows, cols = kept_pairs(s_base, s_cand, threshold, floor_bin, N_BINS)
        for target, values in zip(
            parts,
            (picked[rows], cols + first, s_base[rows, cols], s_cand[rows, cols]),
            strict=True,
        ):
            target.append(values)
    query, doc, score_base, score_cand = (
        np.concatenate(p) if p else np.zeros(0, dtype)
        for p, dtype in zip(parts, (np.int64, np.int64, np.float32, np.float32), strict=True)
    )
    order = np.lexsort((doc, query))  # tiles visit documents in strips: back to query order
    return query[order], doc[order], score_base[order], score_cand[order]


def _nth_largest(values: np.ndarray, n: int) -> float | None:
    if n == 0 or len(values) == 0:
        return None
    return float(np.sort(values)[::-1][min(n, len(values)) - 1])


def _curve(
    hist: list[np.ndarray],
    spaces: Spaces,
    domain_names: np.ndarray,
    domain_of_query: np.ndarray,
    qrels_positions: Qrels,
    exclude: np.ndarray | None,
) -> HorizonCurve:
    n_queries = np.bincount(domain_of_query, minlength=len(domain_names)).astype(float)
    admitted = []
    for counts in hist:
        from_top = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
        with_overall = np.vstack([from_top, from_top.sum(axis=0)])
        per_query = with_overall / np.append(n_queries, n_queries.sum())[:, None].clip(min=1)
        admitted.append(per_query[:, ::CURVE_STEP])
    recall = [
        _recall_curve(q, d, domain_of_query, len(domain_names), qrels_positions, exclude)
        for q, d in spaces
    ]
    cutoffs = (np.arange(N_BINS) / BINS_PER_UNIT - 1.0)[::CURVE_STEP]
    return HorizonCurve(
        cutoffs, (*domain_names, OVERALL), admitted[0], admitted[1], recall[0], recall[1]
    )


def _recall_curve(
    queries: np.ndarray,
    docs: np.ndarray,
    domain_of_query: np.ndarray,
    n_domains: int,
    qrels_positions: Qrels,
    exclude: np.ndarray | None,
) -> np.ndarray:
    """Mean over judged queries of the share of relevant documents scoring at least τ."""
    weights = np.zeros((n_domains + 1, N_BINS))
    judged = np.zeros(n_domains + 1)
    for q, judged_docs in qrels_positions.items():
        relevant = [d for d, g in judged_docs.items() if g > 0]
        if not relevant:
            continue
        scores = docs[relevant] @ queries[q]
        if exclude is not None and exclude[q] >= 0:
            scores[np.asarray(relevant) == exclude[q]] = -np.inf
        bins = _bin(scores)
        for row in (domain_of_query[q], n_domains):
            judged[row] += 1
            np.add.at(weights[row], bins[bins >= 0], 1.0 / len(relevant))
    from_top = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = from_top / judged[:, None]
    return recall[:, ::CURVE_STEP]


def _share(mask: np.ndarray, total: int) -> float | None:
    return float(mask.sum() / total) if total else None


def _compute(inputs: Inputs) -> ThresholdResult | None:
    corpus, config = inputs.corpus, inputs.config
    if corpus.n_queries == 0:
        return None
    cutoff, source = config.cutoff, "user"
    if cutoff is None:
        cutoff = default_cutoff(inputs.baseline_ranking, config.k)
        source = f"median over queries of the baseline's {config.k}-th best score"
    with inputs.progress.stage(f"threshold exclusions at cutoff {cutoff:.3f}"):
        return threshold_exclusions(
            (inputs.baseline.queries, inputs.baseline.documents),
            (inputs.candidate.queries, inputs.candidate.documents),
            cutoff=cutoff,
            cutoff_source=source,
            query_ids=corpus.query_ids,
            query_domains=corpus.query_domains,
            doc_ids=corpus.doc_ids,
            doc_domains=corpus.doc_domains,
            qrels_positions=inputs.qrels,
            exclude=inputs.excluded,
        )


THRESHOLDS = Family(
    "thresholds",
    _compute,
    absent_summary={"thresholds": {"note": "no queries: threshold exclusions need queries"}},
)
