"""The per-shard passes, by name: what one task computes from one shard's vectors.

Each takes the shard (loaded here, inside the task) and keyword arguments, and returns a
few arrays: never the shard's vectors, only rows asked for by position (``rows``) or
results a few columns wide per query or per domain. ``side`` picks the model (0: the
baseline, 1: the candidate) where a pass reads one; ``divide`` is that model's unit-length
rule for the whole corpus (``unit_rows``), decided from the ``unit`` pass first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from analysis.retrieval import rows_are_unit, unit_rows
from analysis.shards import topk
from analysis.shards.layout import Shard
from analysis.shards.moments import shard_moments
from analysis.shards.score_tiles import shard_histograms, shard_pairs

Result = dict[str, np.ndarray]


def _unit_side(shard: Shard, side: int, divide: bool | None) -> np.ndarray:
    """The shard's rows of one model scaled by the corpus's rule (``None``: as read)."""
    rows = shard.load(side)
    return np.asarray(rows, dtype=np.float32) if divide is None else unit_rows(rows, divide=divide)


def _unit(shard: Shard, *, side: int = 0) -> Result:
    """Whether the shard's rows already have unit length, and how many are all zero."""
    rows = np.asarray(shard.load(side), dtype=np.float32)
    zero = int((~rows.any(axis=1)).sum()) if len(rows) else 0
    return {"unit": np.asarray(rows_are_unit(rows)), "zero": np.asarray(zero)}


def _candidates(shard: Shard, *, side: int = 0, **a: Any) -> Result:
    documents = _unit_side(shard, side, a.get("prescale"))
    found = topk.shard_candidates(
        a["queries"], documents, shard.start, a["fetch"], divide=a["divide"], exclude=a["exclude"]
    )
    return {"indices": found.indices, "scores": found.scores}


def _exact(shard: Shard, *, side: int = 0, **a: Any) -> Result:
    documents = _unit_side(shard, side, a.get("prescale"))
    found = topk.shard_exact_rows(
        a["queries"],
        documents,
        shard.start,
        a["rows"],
        a["width"],
        divide=a["divide"],
        exclude=a["exclude"],
    )
    return {"indices": found.indices, "scores": found.scores}


def _rows(shard: Shard, *, side: int, positions: np.ndarray, divide: bool | None) -> Result:
    """The shard's rows at these corpus positions (sorted), scaled by ``divide``."""
    inside = positions[(positions >= shard.start) & (positions < shard.stop)]
    rows = shard.load(side)[inside - shard.start]
    scaled = np.asarray(rows, np.float32) if divide is None else unit_rows(rows, divide=divide)
    return {"positions": inside, "vectors": np.ascontiguousarray(scaled)}


def _both(shard: Shard, divide: tuple[bool, bool]) -> tuple[np.ndarray, np.ndarray]:
    return _unit_side(shard, 0, divide[0]), _unit_side(shard, 1, divide[1])


def _histograms(shard: Shard, **a: Any) -> Result:
    hist, best = shard_histograms(
        (a["baseline_queries"], a["candidate_queries"]),
        _both(shard, (bool(a["divide"][0]), bool(a["divide"][1]))),
        shard.start,
        columns=a["columns"],
        domain_of_query=a["domain_of_query"],
        n_domains=a["n_domains"],
        exclude=a["exclude"],
        compiled=a["compiled"],
    )
    return {"hist": hist, "best": best}


def _pairs(shard: Shard, **a: Any) -> Result:
    best = a["best"]
    if best is not None:  # the maxima of this shard's tiles only
        best = best[:, :, a["tile_offsets"][shard.number] : a["tile_offsets"][shard.number + 1]]
    query, doc, score_base, score_cand = shard_pairs(
        (a["baseline_queries"], a["candidate_queries"]),
        _both(shard, (bool(a["divide"][0]), bool(a["divide"][1]))),
        shard.start,
        columns=a["columns"],
        cutoff=float(a["cutoff"]),
        floor_bin=int(a["floor_bin"]),
        exclude=a["exclude"],
        best=best,
        compiled=a["compiled"],
    )
    return {"query": query, "doc": doc, "score_baseline": score_base, "score_candidate": score_cand}


def _moments(shard: Shard, *, side: int, divide: bool, codes: np.ndarray, n_domains: int) -> Result:
    unit = _unit_side(shard, side, divide)
    counts, totals, grams = shard_moments(unit, codes[shard.start : shard.stop], n_domains)
    return {"counts": counts, "totals": totals, "grams": grams}


PASSES: dict[str, Callable[..., Result]] = {
    "unit": _unit,
    "candidates": _candidates,
    "exact": _exact,
    "rows": _rows,
    "histograms": _histograms,
    "pairs": _pairs,
    "moments": _moments,
}
