"""Which remedies to evaluate, and over which grids: validated once, errors name the option."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analysis.errors import InputError

INTERPOLATE, FUSION, HYBRID, FLOOR, RERANK = "interpolate", "fusion", "hybrid", "floor", "rerank"
REMEDIES = (INTERPOLATE, FUSION, HYBRID, FLOOR, RERANK)
UNIT_GRID = tuple(round(0.1 * i, 1) for i in range(11))  # 0, 0.1, ..., 1
HYBRID_GRID = (0.1, 0.2, 0.3, 0.5)  # BM25's weight in the convex combination
FLOOR_GRID = (2, 4)  # of the k places, how many the baseline's dropped documents may take
RERANK_GRID = (20, 50)  # how deep the candidate retrieves before the cross-encoder reranks


@dataclass(frozen=True)
class RemedyPlan:
    """The remedies to evaluate: ``alphas`` for weight interpolation (0: the baseline, 1: the
    candidate), ``weights`` for score fusion (the candidate's share), ``bm25_weights`` for
    hybrid retrieval (BM25's share; reciprocal rank fusion is always added), ``floor_slots``
    for the recall floor, ``rerank_depths`` for the ``reranker`` (a cross-encoder's spec),
    and the ``targets``: the domains the candidate was tuned for (none: the domain where it
    gained most)."""

    remedies: tuple[str, ...]
    alphas: tuple[float, ...] = UNIT_GRID
    weights: tuple[float, ...] = UNIT_GRID
    bm25_weights: tuple[float, ...] = HYBRID_GRID
    floor_slots: tuple[int, ...] = FLOOR_GRID
    rerank_depths: tuple[int, ...] = RERANK_GRID
    reranker: str | None = None
    targets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.remedies:
            raise InputError(f"--remedies: name at least one of {', '.join(REMEDIES)}")
        unknown = [r for r in self.remedies if r not in REMEDIES]
        if unknown:
            raise InputError(
                f"--remedies {','.join(unknown)}: unknown remedy; known: {', '.join(REMEDIES)}"
            )
        for option, grid in (
            ("--alphas", self.alphas),
            ("--fusion-weights", self.weights),
            ("--bm25-weights", self.bm25_weights),
        ):
            _unit_grid(option, grid)
        if not self.floor_slots or any(s < 1 for s in self.floor_slots):
            raise InputError(f"--floor-slots must be whole numbers >= 1, got {self.floor_slots}")
        if not self.rerank_depths or any(d < 1 for d in self.rerank_depths):
            raise InputError(
                f"--rerank-depths must be whole numbers >= 1, got {self.rerank_depths}"
            )
        if RERANK in self.remedies and not self.reranker:
            raise InputError(
                "--remedies rerank needs --reranker SPEC: a cross-encoder's folder or hub id"
            )


def _unit_grid(option: str, grid: Sequence[float]) -> None:
    if not grid:
        raise InputError(f"{option}: the grid is empty; give values in [0, 1], e.g. 0,0.5,1")
    outside = [g for g in grid if not 0 <= g <= 1]
    if outside:
        raise InputError(f"{option}: {outside[0]} is outside [0, 1]")


def parse_grid(option: str, text: str, *, whole: bool = False) -> tuple[float, ...]:
    """A comma-separated grid from the command line ('0,0.25,0.5'), in the order given."""
    values = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            values.append(int(part) if whole else float(part))
        except ValueError:
            kind = "whole numbers" if whole else "numbers"
            raise InputError(f"{option}: expected comma-separated {kind}, got {part!r}") from None
    if not values:
        raise InputError(f"{option}: the grid is empty")
    return tuple(values)


def parse_remedies(text: str, *, reranker: str | None = None) -> tuple[str, ...]:
    """'all' (every remedy; reranking when a ``reranker`` is named) or a comma-separated
    list of remedy names."""
    names = tuple(p.strip() for p in text.split(",") if p.strip())
    if names == ("all",):
        return tuple(r for r in REMEDIES if r != RERANK or reranker)
    return names
