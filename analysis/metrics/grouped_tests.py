"""Paired sign-flip tests of many overlapping groups of pairs, from one draw of signs.

The near-miss family tests each (domain, rule) group, each domain's and each rule's union,
and every item at once: 20 tests on three domains and four rules, each item in four of
them. Drawn separately, the tests drew and looked up four signs per item and resample and
were most of what the family added to a comparison. Here every pair gets one random sign
per resample, shared by all the groups it belongs to, so a group's flipped sum is the sum
of its blocks' (the finest groups') sums: the signs are drawn and looked up once per pair.

Each group's test is Fisher's paired randomisation test, as relevance's is
(:func:`analysis.metrics.quality.paired_randomisation_test` is this with one group): two-sided,
p = (1 + #{|flipped mean| >= |observed mean|}) / (1 + resamples), non-finite differences
left out, p = 1 when every difference is zero. Within a group the signs are independent fair
coins; only the draws are shared between groups, so a group's p-value is not the one a
separate test of it would draw, but comes from the same distribution.

The layout the signs are drawn for: the blocks one after another, each padded to whole
bytes with pairs that differ by zero (a padding pair adds nothing, whatever its sign), one
bit per pair, eight to a byte, the first pair of a byte its highest bit; a set bit keeps the
difference, a clear one flips it. Resamples are drawn 1,000 at a time from
``numpy.random.default_rng(random_state)`` as ``integers(0, 256, (rows, bytes), uint8)``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)
_LOOKUP_CELLS = 131_072  # (resample, byte) lookups a step: 1 MiB of indices, 1 MiB of sums


def grouped_sign_flip_tests(
    differences: np.ndarray,
    blocks: Sequence[np.ndarray],
    groups: Mapping[K, Sequence[int]],
    *,
    n_resamples: int = 10_000,
    random_state: int = 0,
) -> dict[K, float | None]:
    """Per group (a list of block numbers), the two-sided p-value of its pairs' mean
    difference; None for a group without pairs. ``blocks``: disjoint row numbers of
    ``differences``, the finest groups."""
    values = np.asarray(differences, dtype=np.float64)
    laid_out, starts, counts, totals, nonzero = [], [0], [], [], []
    for rows in blocks:
        block = values[np.asarray(rows, dtype=np.intp)]
        finite = np.isfinite(block)
        block = np.where(finite, block, 0.0)
        padded = np.zeros(-(-len(block) // 8) * 8)
        padded[: len(block)] = block
        laid_out.append(padded)
        starts.append(starts[-1] + len(padded) // 8)
        counts.append(int(finite.sum()))
        totals.append(float(block.sum()))
        nonzero.append(bool(np.any(block)))
    sums = _flipped_block_sums(np.concatenate([np.zeros(0), *laid_out]), starts, n_resamples,
                               random_state)  # fmt: skip
    out: dict[K, float | None] = {}
    for key, members in groups.items():
        chosen = list(members)
        n = sum(counts[b] for b in chosen)
        if not any(len(blocks[b]) for b in chosen):
            out[key] = None
        elif n == 0 or not any(nonzero[b] for b in chosen):
            out[key] = 1.0
        else:
            total = sum(totals[b] for b in chosen)
            means = (sums[:, chosen].sum(axis=1) - total) / n
            hits = int((np.abs(means) >= abs(total / n) - 1e-12).sum())
            out[key] = (hits + 1) / (n_resamples + 1)
    return out


def _flipped_block_sums(
    laid_out: np.ndarray, starts: Sequence[int], n_resamples: int, random_state: int
) -> np.ndarray:
    """(resamples, blocks): per resample, each block's sum of 2 x the differences whose
    sign its bits keep (the flipped sum plus the block's total)."""
    n_bytes = len(laid_out) // 8
    n_blocks = len(starts) - 1
    sums = np.zeros((n_resamples, n_blocks))
    if n_bytes == 0:
        return sums
    # per byte of signs, the sum of 2 x the differences its set bits keep
    bits = (np.arange(256)[None, :] >> np.arange(7, -1, -1)[:, None]) & 1
    table = ((2 * laid_out).reshape(n_bytes, 8) @ bits).ravel()  # byte j's entries at 256 j
    offsets = 256 * np.arange(n_bytes)
    filled = [b for b in range(n_blocks) if starts[b + 1] > starts[b]]  # reduceat: no empties
    step = max(1, min(1000, _LOOKUP_CELLS // n_bytes))
    indices = np.empty((step, n_bytes), dtype=np.intp)
    looked_up = np.empty((step, n_bytes))
    rng = np.random.default_rng(random_state)
    for start in range(0, n_resamples, 1000):
        rows = min(1000, n_resamples - start)
        packed = _random_bytes(rng, rows, n_bytes)
        for first in range(0, rows, step):
            chunk = packed[first : first + step]
            np.add(chunk, offsets, out=indices[: len(chunk)])
            # every index is in range; "clip" spares take() buffering ``out`` (a third of it)
            np.take(table, indices[: len(chunk)], out=looked_up[: len(chunk)], mode="clip")
            at = start + first
            sums[at : at + len(chunk), filled] = np.add.reduceat(
                looked_up[: len(chunk)], [starts[b] for b in filled], axis=1
            )
    return sums


def _random_bytes(rng: np.random.Generator, rows: int, columns: int) -> np.ndarray:
    """``rng.integers(0, 256, (rows, columns), uint8)``, the same bytes: NumPy makes them
    from the generator's 32-bit outputs, lowest byte first, and those are its 64-bit
    outputs' halves, lowest first, so whole 64-bit outputs can be read directly (three times
    as fast). A count of bytes that is not whole 64-bit outputs is drawn as documented."""
    if (rows * columns) % 8:
        return rng.integers(0, 256, size=(rows, columns), dtype=np.uint8)
    raw = rng.bit_generator.random_raw(rows * columns // 8)
    return raw.astype("<u8", copy=False).view(np.uint8).reshape(rows, columns)
