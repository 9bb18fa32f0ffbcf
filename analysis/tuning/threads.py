"""One BLAS thread for a guard evaluation too small to gain from more.

Inside a training loop, torch's OpenMP threads and NumPy's and faiss's BLAS threads each
spin for a while after their last task, on the same few cores. An evaluation of a small
guard corpus is many small matrix products; measured on the demo corpus inside the trainer
(benchmarks/guard_cost.py, 2 cores), limiting BLAS to one thread for the evaluation cut
the reach resampling from 4.7 to 2.1 ms an evaluation, because no product waited for a
thread the trainer's pool was spinning on. Torch's own threads (the model's encoding) are
not limited.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any

# documents × queries under which one thread is limited (the search, the largest product,
# is then at most about 0.8 GFLOP at 384 dimensions: tens of milliseconds on one core)
SMALL_EVALUATION = 2_000_000


class BlasThreads:
    """Limits BLAS to one thread for small evaluations; made after the libraries it limits
    are loaded (threadpoolctl finds the loaded ones once, which is its slow part)."""

    def __init__(self) -> None:
        from threadpoolctl import ThreadpoolController

        self._controller: Any = ThreadpoolController()

    def for_evaluation(self, n_docs: int, n_queries: int) -> AbstractContextManager[Any]:
        if n_docs * n_queries > SMALL_EVALUATION:
            return nullcontext()
        return self._controller.limit(limits=1, user_api="blas")
