"""Reachability: how many queries retrieve each document in their top-k, under each model.

A document no query reaches can never be shown to the LLM. Which documents a set of
queries reaches churns at the margin whenever the model moves a little: some drop out of
every top-k, others come in. The loss that matters is the *net* one, as a share of what
the baseline reached in the domain: ``(lost − gained) / reached``, with a 95% interval from
resampling the queries (which documents are reached depends on which queries were asked),
for every document and for the judged-relevant ones alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.metrics.family import Family, FamilyResult, Inputs
from analysis.metrics.grouping import OVERALL, domain_groups
from analysis.retrieval import Ranking


@dataclass(frozen=True)
class NetLoss:
    """Documents of a domain reached under the baseline (``reached``), how many of them no
    query reaches under the candidate (``lost``), how many unreached ones it now reaches
    (``gained``), and ``share`` = (lost − gained) / reached with its query-resampling 95%
    interval (``low``, ``high``; see :func:`net_loss_spreads`); the share is None when the
    baseline reached none.

    >>> NetLoss.of(lost=45, gained=40, reached=1000).share
    0.005
    """

    reached: int
    lost: int
    gained: int
    share: float | None
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(
        cls, *, lost: int, gained: int, reached: int, spread: tuple[float, float] | None = None
    ) -> NetLoss:
        """``spread``: how far the interval reaches below and above the share."""
        share = (lost - gained) / reached if reached else None
        if share is None or spread is None:
            return cls(reached, lost, gained, share)
        return cls(reached, lost, gained, share, share - spread[0], share + spread[1])

    def to_json(self) -> dict[str, Any]:
        return {
            "reached_baseline": self.reached,
            "lost": self.lost,
            "gained": self.gained,
            "share": self.share,
            "ci_low": self.low,
            "ci_high": self.high,
        }

    @classmethod
    def from_json(cls, values: Any) -> NetLoss | None:
        if not isinstance(values, Mapping):
            return None
        return cls(
            values["reached_baseline"],
            values["lost"],
            values["gained"],
            values["share"],
            values.get("ci_low"),
            values.get("ci_high"),
        )


@dataclass(frozen=True)
class ReachFigures:
    """One domain's documents that no query reaches, per model, how many lost or gained
    reach, and the net loss of reach: of every document, and of the judged-relevant ones.

    Summary keys: ``unreachable_docs`` (``baseline``, ``candidate``), ``lost_reach_docs``,
    ``gained_reach_docs``, ``net_lost_reach`` and ``net_lost_relevant_reach`` (each
    ``reached_baseline``, ``lost``, ``gained``, ``share``, ``ci_low``, ``ci_high``; absent
    from summaries written before they existed, and the relevant one without judgments).
    """

    unreachable_baseline: int
    unreachable_candidate: int
    lost: int  # reached by some query under the baseline, by none under the candidate
    gained: int
    net: NetLoss | None = None
    relevant: NetLoss | None = None  # the judged-relevant documents only

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "unreachable_docs": {
                "baseline": self.unreachable_baseline,
                "candidate": self.unreachable_candidate,
            },
            "lost_reach_docs": self.lost,
            "gained_reach_docs": self.gained,
        }
        if self.net is not None:
            out["net_lost_reach"] = self.net.to_json()
        if self.relevant is not None:
            out["net_lost_relevant_reach"] = self.relevant.to_json()
        return out

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
            NetLoss.from_json(section.get("net_lost_reach")),
            NetLoss.from_json(section.get("net_lost_relevant_reach")),
        )


@dataclass(frozen=True)
class ReachResult(FamilyResult):
    """Per document: the number of queries whose top-k holds it, per model; and each
    query's top-k under both models, which the net loss's interval resamples."""

    doc_ids: tuple[str, ...]
    doc_domains: tuple[str, ...]
    k: int
    baseline: np.ndarray  # (n_docs,) query counts
    candidate: np.ndarray
    baseline_top: np.ndarray  # (n_queries, k) document positions, -1 for none
    candidate_top: np.ndarray
    relevant: np.ndarray | None = None  # (n_docs,) judged relevant to some query
    resamples: int = 1000
    random_state: int = 0

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
        groups = domain_groups(self.doc_domains, names)
        relevant = self.relevant if self.relevant is not None and self.relevant.any() else None
        spreads = net_loss_spreads(
            self.baseline_top,
            self.candidate_top,
            groups,
            n_docs=len(self.doc_ids),
            relevant=relevant,
            resamples=self.resamples,
            random_state=self.random_state,
        )
        reached = self.baseline > 0
        out = {}
        for name, rows in groups.items():
            net = NetLoss.of(
                lost=int(self.lost[rows].sum()),
                gained=int(self.gained[rows].sum()),
                reached=int(reached[rows].sum()),
                spread=spreads[name][0],
            )
            judged = None
            if relevant is not None:
                rel = rows[relevant[rows]]
                judged = NetLoss.of(
                    lost=int(self.lost[rel].sum()),
                    gained=int(self.gained[rel].sum()),
                    reached=int(reached[rel].sum()),
                    spread=spreads[name][1],
                )
            out[name] = ReachFigures(
                int((self.baseline[rows] == 0).sum()),
                int((self.candidate[rows] == 0).sum()),
                int(self.lost[rows].sum()),
                int(self.gained[rows].sum()),
                net,
                judged,
            )
        return out


_BATCH_CELLS = 2_000_000  # (resample, query × k or document) cells per batch
_REACHED_MEMO: OrderedDict[bytes, np.ndarray] = OrderedDict()  # see _reached_per_resample
_MEMO_SIZE = 4
_MEMO_LOCK = threading.Lock()


def net_loss_spreads(
    baseline_top: np.ndarray,
    candidate_top: np.ndarray,
    groups: Mapping[str, np.ndarray],
    *,
    n_docs: int,
    relevant: np.ndarray | None = None,
    resamples: int = 1000,
    random_state: int = 0,
) -> dict[str, tuple[tuple[float, float] | None, tuple[float, float] | None]]:
    """Per group of documents, how far the net loss share of reach spreads below and above
    its median over ``resamples`` resamplings of the queries (with replacement): (median −
    2.5th percentile, 97.5th percentile − median), for every document and for the
    ``relevant`` ones; None where no resample reaches a document of the group.

    A resample asks about 63% of the distinct queries, so it reaches fewer documents and its
    shares sit at another level than the observed one (churn is a larger part of a smaller
    reached set); their spread, not their level, is what the interval takes from them
    (:meth:`NetLoss.of` centres it on the observed share). Only documents in some top-k
    matter, so each resample works on those alone.
    """
    names = [name for name in groups if name != OVERALL]
    unnamed = len(names)
    code = np.full(n_docs, unnamed, dtype=np.int64)  # a named group, or the spare bin
    for g, name in enumerate(names):
        code[groups[name]] = g
    codes = [code]
    if relevant is not None:
        codes.append(np.where(relevant, code, -1))  # -1: counted in no bin
    # per resample, kind and bin: the documents each model reached (each model's own
    # resampling is the same draws, so the two line up resample by resample)
    reached = [
        _reached_per_resample(top, codes, unnamed + 1, resamples, random_state)
        for top in (baseline_top, candidate_top)
    ]
    base, cand = (np.concatenate([r, r.sum(axis=2, keepdims=True)], axis=2) for r in reached)
    kept = np.r_[:unnamed, -1]  # the named groups, then every document (OVERALL)
    base, lost = base[:, :, kept], base[:, :, kept] - cand[:, :, kept]
    shares = np.full((resamples, 2, unnamed + 1), np.nan)  # the last column: OVERALL
    with np.errstate(invalid="ignore", divide="ignore"):
        shares[:, : len(codes)] = np.where(base > 0, lost / base, np.nan)
    spreads = [_spreads(shares[:, kind]) for kind in range(len(codes))]
    spreads += [[None] * (unnamed + 1)] * (2 - len(codes))
    return {name: (spreads[0][g], spreads[1][g]) for g, name in enumerate([*names, OVERALL])}


def _spreads(shares: np.ndarray) -> list[tuple[float, float] | None]:
    """Per column of (resample × group) shares, (median − 2.5th percentile, 97.5th
    percentile − median) of its finite values; None where it has none. The columns with
    no missing share go through one call (one call a column was most of the time left)."""
    quantiles = [2.5, 50, 97.5]
    bounds = np.full((3, shares.shape[1]), np.nan)
    finite = np.isfinite(shares)
    whole = finite.all(axis=0)
    if whole.any() and len(shares):
        bounds[:, whole] = np.percentile(shares[:, whole], quantiles, axis=0)
    for g in np.flatnonzero(~whole & finite.any(axis=0)):
        bounds[:, g] = np.percentile(shares[finite[:, g], g], quantiles)
    return [
        None if np.isnan(low) else (float(middle - low), float(high - middle))
        for low, middle, high in bounds.T
    ]


def _reached_per_resample(
    top: np.ndarray, codes: Sequence[np.ndarray], n_bins: int, resamples: int, random_state: int
) -> np.ndarray:
    """(resamples, len(codes), n_bins): per resampling of the queries (with replacement,
    seeded), how many distinct documents of each bin some drawn query holds in ``top``;
    ``codes[kind][document]`` is its bin (-1: none).

    Remembered for the last few inputs: a remedy sweep or a rounds series judges many
    candidates against one baseline, whose reach is the same every time.
    """
    import hashlib

    key = hashlib.blake2b(
        b"".join([np.ascontiguousarray(top).tobytes(), *(c.tobytes() for c in codes)])
        + repr((top.shape, n_bins, resamples, random_state)).encode()
    ).digest()
    with _MEMO_LOCK:  # a shared dashboard's workers compare in several threads
        if key in _REACHED_MEMO:
            _REACHED_MEMO.move_to_end(key)
            return _REACHED_MEMO[key]
    from scipy.sparse import csr_matrix

    n_queries = len(top)
    shown = np.unique(top[top >= 0])
    query, rank = np.nonzero(top >= 0)
    # which shown documents each query holds: (shown document × query), sparse
    holds = csr_matrix(
        (np.ones(len(query), dtype=np.float32), (np.searchsorted(shown, top[query, rank]), query)),
        shape=(len(shown), n_queries),
    )
    # each kind's documents summed per bin by one matrix product: exact counts in float32
    sums = np.zeros((len(shown), len(codes) * n_bins), dtype=np.float32)
    for kind, code in enumerate(codes):
        bins = code[shown]
        inside = np.flatnonzero(bins >= 0)
        sums[inside, kind * n_bins + bins[inside]] = 1.0
    rng = np.random.default_rng(random_state)
    out = np.zeros((resamples, len(codes) * n_bins))  # float64: exact counts
    # resamples in batches, each by two matrix products: the queries a resample asks times
    # the documents they hold (a Python loop per resample, then index arithmetic per
    # (resample, query, rank), were most of a comparison's reach time); a batch draws what
    # the resamples one by one would
    batch = max(1, min(resamples, _BATCH_CELLS // max(1, top.size, len(shown))))
    for start in range(0, resamples if n_queries else 0, batch):
        rows = min(batch, resamples - start)
        drawn = rng.integers(0, n_queries, size=(rows, n_queries))
        asked = np.zeros((n_queries, rows), dtype=np.float32)
        asked[drawn, np.arange(rows)[:, None]] = 1.0
        reached = (holds @ asked) > 0  # (shown document × resample)
        out[start : start + rows] = reached.T.astype(np.float32) @ sums
    counts = out.reshape(resamples, len(codes), n_bins)
    counts.flags.writeable = False
    with _MEMO_LOCK:
        _REACHED_MEMO[key] = counts
        if len(_REACHED_MEMO) > _MEMO_SIZE:
            _REACHED_MEMO.popitem(last=False)
    return counts


def reachability(
    baseline: Ranking,
    candidate: Ranking,
    *,
    k: int,
    doc_domains: Sequence[str],
    doc_ids: Sequence[str] | None = None,
    relevant: np.ndarray | None = None,
    resamples: int = 1000,
    random_state: int = 0,
) -> ReachResult:
    """How many queries hold each document in their top-k, under each model
    (``relevant``: which documents some query judged relevant)."""
    tops, counts = [], []
    for ranking in (baseline, candidate):
        top = np.ascontiguousarray(ranking.indices[:, :k])
        tops.append(top)
        counts.append(np.bincount(top[top >= 0], minlength=len(doc_domains)))
    ids = tuple(doc_ids) if doc_ids is not None else tuple(str(i) for i in range(len(doc_domains)))
    return ReachResult(
        ids,
        tuple(doc_domains),
        k,
        counts[0],
        counts[1],
        tops[0],
        tops[1],
        relevant,
        resamples,
        random_state,
    )


def _compute(inputs: Inputs) -> ReachResult:
    relevant = np.zeros(inputs.corpus.n_docs, dtype=bool)
    for judged in inputs.qrels.values():
        relevant[[d for d, grade in judged.items() if grade > 0]] = True
    return reachability(
        inputs.baseline_ranking,
        inputs.candidate_ranking,
        k=inputs.config.k,
        doc_domains=inputs.corpus.doc_domains,
        doc_ids=inputs.corpus.doc_ids,
        relevant=relevant if relevant.any() else None,
        resamples=inputs.config.bootstrap_resamples,
        random_state=inputs.config.random_state,
    )


REACH = Family("reach", _compute)
