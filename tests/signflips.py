"""A brute-force reference for grouped sign-flip tests: the documented layout's signs
unpacked one by one, and each group's flipped means computed directly."""

from __future__ import annotations

import numpy as np


def shared_signs(blocks: list[np.ndarray], n_resamples: int, random_state: int) -> np.ndarray:
    """(resamples, padded pairs) of +1/-1: the blocks one after another, each padded to
    whole bytes; bytes drawn 1,000 resamples at a time, the highest bit first."""
    n_pairs = sum(-(-len(rows) // 8) * 8 for rows in blocks)
    rng = np.random.default_rng(random_state)
    drawn = [
        rng.integers(0, 256, size=(min(1000, n_resamples - s), n_pairs // 8), dtype=np.uint8)
        for s in range(0, n_resamples, 1000)
    ]
    return np.unpackbits(np.concatenate(drawn), axis=1).astype(float) * 2 - 1


def brute_force_p(
    differences: np.ndarray, blocks: list[np.ndarray], chosen: list[int], signs: np.ndarray
) -> float:
    """The two-sided p-value of the chosen blocks' pairs under the shared signs."""
    columns, values, at = [], [], 0
    for b, rows in enumerate(blocks):
        if b in chosen:
            columns.extend(range(at, at + len(rows)))
            values.extend(differences[rows])
        at += -(-len(rows) // 8) * 8
    values = np.asarray(values)
    means = (signs[:, columns] * values).sum(axis=1) / len(values)
    hits = int((np.abs(means) >= abs(values.mean()) - 1e-12).sum())
    return (hits + 1) / (len(signs) + 1)
