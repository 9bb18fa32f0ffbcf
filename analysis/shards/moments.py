"""Per-domain sums over document vectors (count, Σu, Σ u uᵀ) that add up to the same bits
in any order: the geometry measures read them, and a corpus in shards sums its shards'.

Floating-point addition is not associative, so a float64 sum over a million rows depends on
the order of its terms, and a sum of shards' partial sums differs in its last bits from one
process's sum. Here the rows are read in blocks at fixed corpus positions (``BLOCK_ROWS``,
from a shard's first row: shards whose sizes are a multiple of it see the same blocks as
one process does), each block's float64 sums are computed as usual, and the blocks' sums
are accumulated in fixed point: each float64 is split into an integer count of 2⁻²⁴ and an
integer count of 2⁻⁶⁴ below it (``_FINE``), and integers add exactly in any order. What is
lost is every bit below 2⁻⁶⁴ of a block's sum, the same bits whichever process sums it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BLOCK_ROWS = 10_000  # rows per block: 30 MiB of float64 at 384 dimensions
_COARSE = 2.0**24  # units per 1 of the high part
_FINE = 2.0**64  # units per 1 of the low part (the remainder below 2^-24)


@dataclass(frozen=True)
class FixedSums:
    """Sums over a set of vectors in fixed point: (high, low) int64 parts of Σu and Σ u uᵀ.

    Any number of them add exactly (``+``); ``value()`` gives the float64 sums. Room: a
    block's entries are at most ``BLOCK_ROWS`` in size, so the parts hold the sums of more
    than 10⁵ blocks (a billion documents) without overflow."""

    n: int
    total: np.ndarray  # (2, dim) int64
    gram: np.ndarray  # (2, dim, dim) int64

    @classmethod
    def zero(cls, dim: int) -> FixedSums:
        return cls(0, np.zeros((2, dim), np.int64), np.zeros((2, dim, dim), np.int64))

    @classmethod
    def of_block(cls, block: np.ndarray) -> FixedSums:
        """One block's sums (rows of float32 unit vectors), computed in float64."""
        wide = block.astype(np.float64)
        return cls(len(block), _fixed(wide.sum(axis=0)), _fixed(wide.T @ wide))

    def __add__(self, other: FixedSums) -> FixedSums:
        return FixedSums(self.n + other.n, self.total + other.total, self.gram + other.gram)

    def value(self) -> tuple[int, np.ndarray, np.ndarray]:
        """(n, Σu, Σ u uᵀ) as float64."""
        return self.n, _float(self.total), _float(self.gram)


def _fixed(values: np.ndarray) -> np.ndarray:
    """float64 values as (high, low) int64 parts: value ≈ high / 2²⁴ + low / 2⁶⁴."""
    high = np.floor(values * _COARSE)
    low = np.floor((values - high / _COARSE) * _FINE)  # the remainder is exact in float64
    return np.stack([high, low]).astype(np.int64)


def _float(parts: np.ndarray) -> np.ndarray:
    return parts[0].astype(np.float64) / _COARSE + parts[1].astype(np.float64) / _FINE


def shard_moments(
    unit: np.ndarray, codes: np.ndarray, n_domains: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A shard's per-domain sums, block by block: ``unit`` its unit rows, ``codes`` each
    row's domain number. Returns counts (domains,), Σu parts (domains, 2, dim) and
    Σ u uᵀ parts (domains, 2, dim, dim), all int64, ready to add to other shards'."""
    dim = unit.shape[1]
    sums = [FixedSums.zero(dim) for _ in range(n_domains)]
    for first in range(0, len(unit), BLOCK_ROWS):
        block, block_codes = unit[first : first + BLOCK_ROWS], codes[first : first + BLOCK_ROWS]
        for domain in np.unique(block_codes):
            sums[domain] = sums[domain] + FixedSums.of_block(block[block_codes == domain])
    return (
        np.array([s.n for s in sums], dtype=np.int64),
        np.stack([s.total for s in sums]) if sums else np.zeros((0, 2, dim), np.int64),
        np.stack([s.gram for s in sums]) if sums else np.zeros((0, 2, dim, dim), np.int64),
    )


def merged_moments(parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[FixedSums]:
    """Every shard's per-domain sums added (exactly): one :class:`FixedSums` per domain."""
    counts, totals, grams = (np.sum([p[i] for p in parts], axis=0) for i in range(3))
    return [
        FixedSums(int(n), total, gram) for n, total, gram in zip(counts, totals, grams, strict=True)
    ]
