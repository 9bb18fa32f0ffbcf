"""The guard's evaluation limits BLAS to one thread for a small corpus, and only then."""

from __future__ import annotations

import numpy as np  # noqa: F401  (loads NumPy's BLAS, the pool being limited)
import pytest
from threadpoolctl import threadpool_info

from analysis.tuning.threads import SMALL_EVALUATION, BlasThreads


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_a_small_evaluation_runs_on_one_blas_thread_and_the_pools_are_restored():
    before = _blas_threads()
    if max(before) < 2:
        pytest.skip("BLAS already runs on one thread here: nothing to limit")
    threads = BlasThreads()
    with threads.for_evaluation(400, 110):
        assert set(_blas_threads()) == {1}
    assert _blas_threads() == before


def test_a_large_evaluation_keeps_every_blas_thread():
    before = _blas_threads()
    with BlasThreads().for_evaluation(SMALL_EVALUATION + 1, 1):
        assert _blas_threads() == before
