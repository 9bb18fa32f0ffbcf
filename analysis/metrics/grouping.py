"""Per-domain aggregation shared by every diagnostic: means, bootstrap intervals, counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

OVERALL = "(all)"


@dataclass(frozen=True)
class Estimate:
    """A mean with a bootstrap 95% interval and the number of items it averages."""

    mean: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"mean": self.mean, "ci_low": self.low, "ci_high": self.high, "n": self.n}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Estimate:
        return cls(values["mean"], values["ci_low"], values["ci_high"], int(values["n"]))


def domain_groups(domains: Sequence[str], names: Sequence[str]) -> dict[str, np.ndarray]:
    """Row positions per domain name, plus ``OVERALL`` for all rows."""
    labels = np.asarray(domains, dtype=object)
    groups = {name: np.flatnonzero(labels == name) for name in names}
    groups[OVERALL] = np.arange(len(labels))
    return groups


def mean_or_none(values: np.ndarray, weights: np.ndarray | None = None) -> float | None:
    """Mean of the finite values (``None`` when there are none); ``weights``: each value's
    weight (a logged question's asks)."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    if weights is None:
        return float(values[finite].mean())
    return float(np.average(values[finite], weights=weights[finite]))


def bootstrap_mean(
    values: np.ndarray,
    *,
    n_resamples: int = 1000,
    random_state: int = 0,
    weights: np.ndarray | None = None,
) -> Estimate:
    """Mean and percentile 95% bootstrap interval (resampling items with replacement).

    ``n_resamples`` 0: the mean alone, with no interval (``low`` and ``high`` None).
    ``weights``: a weighted mean, each resample's too; the items resampled are the distinct
    ones (a question asked 50 times is one item of weight 50, not 50 items), so the interval
    is as wide as the number of distinct questions makes it.

    >>> bootstrap_mean(np.array([1.0, 1.0, 1.0])).as_dict()
    {'mean': 1.0, 'ci_low': 1.0, 'ci_high': 1.0, 'n': 3}
    """
    finite = np.isfinite(values)
    values = values[finite]
    if len(values) == 0:
        return Estimate(None, None, None, 0)
    if weights is not None:
        weights = np.asarray(weights, dtype=float)[finite]
    mean = float(values.mean()) if weights is None else float(np.average(values, weights=weights))
    if n_resamples == 0:
        return Estimate(mean, None, None, len(values))  # the mean alone: no interval drawn
    picks = _picks(len(values), n_resamples, random_state)
    if weights is None:
        means = values[picks].mean(axis=1)
    else:
        means = (values * weights)[picks].sum(axis=1) / weights[picks].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Estimate(mean, float(low), float(high), len(values))


_PICKS_REMEMBERED = 2_000_000  # (resample, item) cells: 16 MB a draw


def _picks(n: int, n_resamples: int, random_state: int) -> np.ndarray:
    """The bootstrap's seeded draws for ``n`` items: the same for every measure and domain
    of that size, so small ones are drawn once per process (a remedy sweep asks for the same
    few sizes hundreds of times)."""
    if n * n_resamples <= _PICKS_REMEMBERED:
        return _remembered_picks(n, n_resamples, random_state)
    return np.random.default_rng(random_state).integers(0, n, size=(n_resamples, n))


@lru_cache(maxsize=8)
def _remembered_picks(n: int, n_resamples: int, random_state: int) -> np.ndarray:
    picks = np.random.default_rng(random_state).integers(0, n, size=(n_resamples, n))
    picks.flags.writeable = False
    return picks
