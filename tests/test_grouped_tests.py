"""Sign-flip tests of overlapping groups from one draw: each group's p-value against a
brute-force count under the same signs, and against quality's test for one group."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.metrics.grouped_tests import _random_bytes, grouped_sign_flip_tests
from analysis.metrics.quality import paired_randomisation_test
from tests.signflips import brute_force_p, shared_signs


@pytest.mark.parametrize("n_resamples", [999, 2500])
def test_every_group_counts_its_own_flipped_means(n_resamples):
    rng = np.random.default_rng(5)
    differences = rng.normal(0.02, 0.1, size=130)
    blocks = [np.arange(0, 13), np.arange(13, 14), np.arange(14, 80), np.arange(80, 130)]
    groups = {"first": [0], "one pair": [1], "two": [0, 2], "all": [0, 1, 2, 3], "last": [3]}
    got = grouped_sign_flip_tests(differences, blocks, groups, n_resamples=n_resamples)
    signs = shared_signs(blocks, n_resamples, 0)
    for name, chosen in groups.items():
        assert got[name] == brute_force_p(differences, blocks, chosen, signs), name
    assert len(set(got.values())) > 2  # the groups are not all alike


def test_one_group_is_qualitys_test():
    """One block, one group: the same layout and draws as quality's paired test."""
    rng = np.random.default_rng(8)
    for n in (1, 7, 8, 100, 1001):
        differences = rng.normal(0.01, 0.05, size=n)
        got = grouped_sign_flip_tests(differences, [np.arange(n)], {"g": [0]}, n_resamples=3000)
        assert got["g"] == paired_randomisation_test(differences, n_resamples=3000)


def test_empty_zero_and_missing_differences():
    differences = np.array([0.0, 0.0, np.nan, 0.3, 0.3, 0.3])
    blocks = [np.array([0, 1]), np.array([], dtype=int), np.array([2, 3, 4, 5])]
    got = grouped_sign_flip_tests(
        differences, blocks, {"zeros": [0], "none": [1], "rest": [2]}, n_resamples=20_000
    )
    assert got["zeros"] == 1.0  # nothing moved: nothing to test
    assert got["none"] is None  # no items
    # the missing difference left out: three pairs of +0.3, p = 2/8 by exact sign flips
    assert got["rest"] == pytest.approx(0.25, abs=0.02)


@pytest.mark.parametrize(
    "shapes", [[(1000, 19), (1000, 19), (500, 19)], [(8, 3), (5, 3)], [(1000, 893)] * 3]
)
def test_the_signs_bytes_are_the_documented_draws(shapes):
    """Bytes read from whole 64-bit outputs are ``integers(0, 256, ..., uint8)``'s, chunk
    after chunk; a chunk of bytes that is not whole outputs (the last) is drawn as such."""
    fast, documented = np.random.default_rng(7), np.random.default_rng(7)
    for rows, columns in shapes:
        expected = documented.integers(0, 256, size=(rows, columns), dtype=np.uint8)
        assert np.array_equal(_random_bytes(fast, rows, columns), expected)
