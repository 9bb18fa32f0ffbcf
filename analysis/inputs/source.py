"""The one Protocol every embedding source implements (models and precomputed vectors).

Kept apart from the implementations so that each of them, and whatever resolves a user's
spec, imports this module and never each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

import numpy as np

from analysis.inputs.cache import CacheNamespace

Role = Literal["document", "query"]
ProgressFn = Callable[[int], None]  # called with the number of texts just finished


class EmbeddingSource(Protocol):
    """Anything that can turn a corpus' documents and queries into vectors."""

    spec: str

    @property
    def fingerprint(self) -> str: ...

    def cache_namespace(self, role: Role) -> CacheNamespace | None:
        """Where encoded texts are cached; None when vectors are read, not computed."""
        ...

    def embed(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        *,
        role: Role,
        progress: ProgressFn | None = None,
    ) -> np.ndarray:
        """A float32 matrix, one row per id, in the order given."""
        ...
