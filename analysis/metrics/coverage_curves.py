"""Coverage curves: the share of queries whose context still holds what they need, as k
grows and as the cutoff rises, per domain and model (from each query's first carrier)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.metrics.grouping import domain_groups

CURVE_DEPTH = 50  # coverage curves over k = 1 .. 50
CUTOFF_STEP = 0.01  # coverage curves over the cutoff: a 0.01 grid
MODELS = ("baseline", "candidate")


def _by_domain(rows: np.ndarray, query_domains: Sequence[str]) -> dict[str, np.ndarray]:
    labels = [query_domains[q] for q in rows]
    return {
        name: rows[members] for name, members in domain_groups(labels, sorted(set(labels))).items()
    }


def k_curve(
    first_rank: list[np.ndarray], rows: np.ndarray, query_domains: Sequence[str], depth: int
) -> pd.DataFrame:
    out = []
    ks = np.arange(1, depth + 1)
    for name, members in _by_domain(rows, query_domains).items():
        for model, ranks in zip(MODELS, first_rank, strict=True):
            coverage = (ranks[members][None, :] <= ks[:, None]).mean(axis=1)
            out.append(
                pd.DataFrame({"domain": name, "model": model, "k": ks, "coverage": coverage})
            )
    return _concat(out, ["domain", "model", "k", "coverage"])


def cutoff_curve(
    first_score: list[np.ndarray], rows: np.ndarray, query_domains: Sequence[str], cutoff: float
) -> pd.DataFrame:
    """Coverage at every cutoff of a 0.01 grid spanning the carriers' scores and ``cutoff``."""
    scores = np.concatenate([s[rows] for s in first_score])
    finite = scores[np.isfinite(scores)]
    low = min(float(finite.min()) if len(finite) else cutoff, cutoff)
    high = max(float(finite.max()) if len(finite) else cutoff, cutoff)
    steps = np.arange(np.floor(low / CUTOFF_STEP) - 1, np.ceil(high / CUTOFF_STEP) + 2)
    grid = np.clip(np.round(steps * CUTOFF_STEP, 2), -1.0, 1.0)
    grid = np.unique(grid)
    out = []
    for name, members in _by_domain(rows, query_domains).items():
        for model, carried in zip(MODELS, first_score, strict=True):
            coverage = (carried[members][None, :] >= grid[:, None]).mean(axis=1)
            out.append(
                pd.DataFrame({"domain": name, "model": model, "cutoff": grid, "coverage": coverage})
            )
    return _concat(out, ["domain", "model", "cutoff", "coverage"])


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
