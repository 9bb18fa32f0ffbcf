"""Both models' document vectors, wherever they lie: every per-document pass a comparison
makes (retrieval, the threshold passes, geometry's sums, drift's neighbours, rows picked
by position) goes through here, one shard at a time.

In one process the matrices are one shard in memory (:meth:`DocumentVectors.in_memory`);
past one machine they are shards on disk read by :class:`~analysis.shards.runner.LocalShards`
or Ray tasks (:class:`~analysis.shards.runner.RayShards`). Either way the same pass
functions run and the same exact merges combine them, so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from analysis.retrieval import Ranking
from analysis.shards.layout import MemoryShard
from analysis.shards.moments import FixedSums, merged_moments
from analysis.shards.runner import InProcess
from analysis.shards.score_tiles import tiles_in, use_compiled
from analysis.shards.topk import sharded_top_k

Run = Callable[[str, dict[str, Any]], list[dict[str, np.ndarray]]]
SIDES = ("baseline", "candidate")


class DocumentVectors:
    """The corpus's documents under both models (side 0: the baseline, 1: the candidate),
    as shards that ``run(pass, arguments)`` visits; ``shard_rows``: each shard's rows;
    ``dimensions``: each model's (two models need not share one)."""

    def __init__(
        self,
        run: Run,
        shard_rows: Sequence[int],
        dimensions: tuple[int, int],
        *,
        matrices: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.run, self.shard_rows, self.dimensions = run, list(shard_rows), dimensions
        self.n_docs = sum(self.shard_rows)
        self.matrices = matrices  # in memory: what only a whole matrix allows (drift's index)
        self._unit: dict[int, tuple[bool, int]] = {}

    @classmethod
    def in_memory(cls, baseline: np.ndarray, candidate: np.ndarray) -> DocumentVectors:
        """Matrices in this process, as one shard."""
        if len(baseline) != len(candidate):
            raise ValueError(
                f"both models must cover the same documents: {len(baseline)} and "
                f"{len(candidate)} rows"
            )
        shard = MemoryShard(0, 0, len(baseline), (baseline, candidate))
        dimensions = (int(baseline.shape[1]), int(candidate.shape[1]))
        return cls(InProcess([shard]), [len(baseline)], dimensions, matrices=(baseline, candidate))

    def divide(self, side: int) -> bool:
        """The model's unit-length rule for the whole corpus (``unit_rows``): divide every
        row unless all of them already have unit length."""
        return self._unit_pass(side)[0]

    def zero_rows(self, side: int) -> int:
        """How many of the model's document vectors are all zero."""
        return self._unit_pass(side)[1]

    def _unit_pass(self, side: int) -> tuple[bool, int]:
        if side not in self._unit:
            results = self.run("unit", {"side": side})
            divide = not all(bool(r["unit"]) for r in results)
            self._unit[side] = (divide, sum(int(r["zero"]) for r in results))
        return self._unit[side]

    def top_k(
        self,
        side: int,
        queries: np.ndarray,
        k: int,
        *,
        exclude: np.ndarray | None = None,
        prescale: bool = False,
    ) -> Ranking:
        """The ``k`` documents of highest cosine per query (ties: the earlier document);
        ``prescale``: the documents scaled by the corpus's rule first and then searched as
        they are (drift's documents among documents)."""
        return sharded_top_k(
            queries,
            self.n_docs,
            k,
            self.run,
            exclude=exclude,
            side=side,
            prescale=self.divide(side) if prescale else None,
        )

    def rows(self, side: int, positions: np.ndarray, *, unit: bool) -> np.ndarray:
        """The model's document vectors at ``positions`` (sorted, distinct), as read or
        (``unit``) scaled by the corpus's rule."""
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) > 1 and not np.all(np.diff(positions) > 0):
            raise ValueError("rows(): positions must be sorted and distinct")
        divide = self.divide(side) if unit else None
        parts = self.run("rows", {"side": side, "positions": positions, "divide": divide})
        found = [p["vectors"] for p in parts if len(p["positions"])]
        out = np.vstack(found) if found else np.zeros((0, self.dimensions[side]), np.float32)
        if len(out) != len(positions):
            raise ValueError(f"rows(): {len(positions) - len(out)} positions are not documents")
        return out

    def score_histograms(
        self,
        queries: tuple[np.ndarray, np.ndarray],
        *,
        columns: int,
        domain_of_query: np.ndarray,
        n_domains: int,
        exclude: np.ndarray | None,
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per model, the (domains x bins) counts of every (query, document) score and each
        query's best score per document tile (tiles of every shard, in corpus order)."""
        parts = self.run(
            "histograms",
            {
                **self._score_arguments(queries, columns, exclude),
                "domain_of_query": domain_of_query,
                "n_domains": n_domains,
            },
        )
        hist = sum(p["hist"] for p in parts)
        best = np.concatenate([p["best"] for p in parts], axis=2)
        return [hist[0], hist[1]], [best[0], best[1]]  # type: ignore[index]

    def score_pairs(
        self,
        queries: tuple[np.ndarray, np.ndarray],
        *,
        columns: int,
        cutoff: float,
        floor_bin: int,
        exclude: np.ndarray | None,
        best: list[np.ndarray] | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The pairs either model admits at ``cutoff`` or the candidate scores in
        ``floor_bin`` or above: (query, document, baseline score, candidate score), in
        query then document order. ``best``: the tiles' maxima, which rows to skip."""
        offsets = np.cumsum([0] + [tiles_in(rows, columns) for rows in self.shard_rows])
        parts = self.run(
            "pairs",
            {
                **self._score_arguments(queries, columns, exclude),
                "cutoff": float(cutoff),
                "floor_bin": int(floor_bin),
                "best": None if best is None else np.stack(best),
                "tile_offsets": offsets,
            },
        )
        keys = ("query", "doc", "score_baseline", "score_candidate")
        query, doc, base, cand = (np.concatenate([p[key] for p in parts]) for key in keys)
        order = np.lexsort((doc, query))
        return query[order], doc[order], base[order], cand[order]

    def _score_arguments(
        self, queries: tuple[np.ndarray, np.ndarray], columns: int, exclude: np.ndarray | None
    ) -> dict[str, Any]:
        return {
            "baseline_queries": queries[0],
            "candidate_queries": queries[1],
            "divide": (self.divide(0), self.divide(1)),
            "columns": columns,
            "exclude": exclude,
            "compiled": use_compiled(len(queries[0]), self.n_docs),
        }

    def moments(self, side: int, codes: np.ndarray, n_domains: int) -> list[FixedSums]:
        """Per domain (``codes``: each document's domain number), the sums of the model's
        unit document vectors, exact in any order of shards."""
        parts = self.run(
            "moments",
            {"side": side, "divide": self.divide(side), "codes": codes, "n_domains": n_domains},
        )
        return merged_moments([(p["counts"], p["totals"], p["grams"]) for p in parts])
