"""Geometry's fixed-point sums: exact in any order, close to the float64 sums, and a corpus cut
into shards at block boundaries sums to the same bits as one pass over it."""

from __future__ import annotations

import numpy as np

from analysis.shards.moments import BLOCK_ROWS, FixedSums, shard_moments


def _unit_rows(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    rows = rng.normal(size=(n, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_fixed_sums_add_to_the_same_bits_in_any_order():
    rng = np.random.default_rng(0)
    blocks = [FixedSums.of_block(_unit_rows(rng, n, 6)) for n in (1, 7, 300, 2, 41)]
    forward = blocks[0]
    for block in blocks[1:]:
        forward = forward + block
    backward = blocks[-1]
    for block in reversed(blocks[:-1]):
        backward = backward + block
    paired = (blocks[0] + blocks[3]) + ((blocks[4] + blocks[1]) + blocks[2])
    for other in (backward, paired):
        assert other.n == forward.n == 351
        np.testing.assert_array_equal(other.total, forward.total)
        np.testing.assert_array_equal(other.gram, forward.gram)


def test_fixed_sums_equal_the_float64_sums_to_their_rounding():
    rng = np.random.default_rng(1)
    rows = _unit_rows(rng, 500, 5)  # entries of both signs
    total = FixedSums.zero(5)
    for first in range(0, 500, 128):
        total = total + FixedSums.of_block(rows[first : first + 128])
    n, sum_u, gram = total.value()
    wide = rows.astype(np.float64)
    assert n == 500
    np.testing.assert_allclose(sum_u, wide.sum(axis=0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(gram, wide.T @ wide, rtol=0, atol=1e-11)
    assert np.all(total.total[1] >= 0) and np.all(total.gram[1] >= 0)  # the low part: a rest


def test_shards_cut_at_block_boundaries_sum_as_one_pass():
    rng = np.random.default_rng(2)
    n = 2 * BLOCK_ROWS + 5_000
    rows = _unit_rows(rng, n, 4)
    codes = rng.integers(0, 3, size=n)
    whole = shard_moments(rows, codes, 3)
    cut = BLOCK_ROWS
    first, second = (
        shard_moments(rows[:cut], codes[:cut], 3),
        shard_moments(rows[cut:], codes[cut:], 3),
    )
    for one, parts in zip(whole, zip(first, second, strict=True), strict=True):
        np.testing.assert_array_equal(one, parts[0] + parts[1])
    assert whole[0].tolist() == np.bincount(codes, minlength=3).tolist()
