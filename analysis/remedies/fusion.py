"""Score fusion of the two models (two indexes): a document's score for a query is
(1 − w)·cos_baseline + w·cos_candidate.

That score is the inner product of concatenated unit vectors [√(1−w)·b, √w·c], so the fused
"model" is a vector space of its own and every family (drift, exclusions, geometry) reads
it like any candidate's. At w = 0 it is the baseline and at w = 1 the candidate, exactly.
"""

from __future__ import annotations

import numpy as np

from analysis.inputs.embed import CorpusEmbeddings
from analysis.retrieval import unit_rows


def fused(baseline: CorpusEmbeddings, candidate: CorpusEmbeddings, w: float) -> CorpusEmbeddings:
    """The fused space at candidate weight ``w`` (the sides themselves at 0 and 1)."""
    if w == 0:
        return baseline
    if w == 1:
        return candidate

    def join(b: np.ndarray, c: np.ndarray) -> np.ndarray:
        parts = [np.sqrt(1 - w) * unit_rows(b), np.sqrt(w) * unit_rows(c)]
        return np.hstack(parts).astype(np.float32)

    return CorpusEmbeddings(
        f"fusion w={w:g}",
        f"fusion|{baseline.fingerprint}|{candidate.fingerprint}|{w!r}",
        join(baseline.documents, candidate.documents),
        join(baseline.queries, candidate.queries),
        encoded=0,
        cached=0,
    )
