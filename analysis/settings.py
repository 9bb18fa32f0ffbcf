"""The comparison's settings, validated in one place for every front end.

The command line, the dashboard and the engine all build a :class:`CompareConfig`; a bad
value raises an :class:`InputError` that names the command-line option and what is wrong,
so every front end shows the same message.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import InputError

DEFAULT_DRIFT_MAX_DOCS = 20_000
# Above this many documents drift's neighbours come from an audited approximate index: at
# 1M documents exact search of 20,000 neighbourhoods is about 4 minutes per model here.
DEFAULT_DRIFT_EXACT_MAX_DOCS = 200_000
DEFAULT_PROJECTION_MAX_POINTS = 5_000
CONTEXT_BY = ("top-k", "cutoff")  # what a pipeline passes its LLM


@dataclass(frozen=True)
class CompareConfig:
    """What the user chose; everything that changes a result lives here.

    ``cutoff``: the similarity a RAG pipeline requires (None: the median over queries of the
    baseline's k-th best score). ``exclude_identical_ids``: BEIR's rule that a document
    whose id equals the query's id is never returned for that query.

    >>> CompareConfig(k=0)
    Traceback (most recent call last):
    ...
    analysis.errors.InputError: --k must be at least 1, got 0
    """

    k: int = 10
    cutoff: float | None = None
    neighbours: int = 10
    rbo_p: float = 0.9
    exclude_identical_ids: bool = True
    drift_max_docs: int = DEFAULT_DRIFT_MAX_DOCS
    drift_exact_max_docs: int = DEFAULT_DRIFT_EXACT_MAX_DOCS
    projection: bool = False
    projection_max_points: int = DEFAULT_PROJECTION_MAX_POINTS
    bootstrap_resamples: int = 1000
    permutation_resamples: int = 10_000
    # False: no paired significance tests and no overlap intervals (those p-values and
    # intervals None), for a caller that reads neither: the training guard under a policy
    # that counts a drop whether or not it is significant (reach's interval, which its
    # guardrail reads, is always drawn)
    inference: bool = True
    random_state: int = 0
    context_budget: int | None = None  # units of context the LLM receives (None: all)
    context_by: str = "top-k"  # the top-k documents, or those at or above the cutoff
    context_tokenizer: str | None = None  # model spec whose tokenizer counts the budget
    llm: str | None = None  # the chat model's identity (front ends set it); None: no LLM
    llm_queries: int | None = None  # a seeded sample, split evenly over domains (None: all)
    llm_agreement_pairs: int = 40  # judged pairs the LLM judge is checked on
    near_misses: str | None = None  # "rules", "file:<content digest>"; None: no near misses

    def __post_init__(self) -> None:
        for name in (
            "k",
            "neighbours",
            "drift_max_docs",
            "drift_exact_max_docs",
            "projection_max_points",
            "bootstrap_resamples",
            "permutation_resamples",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"{option(name)} must be at least 1, got {value}")
        if (
            isinstance(self.random_state, bool)
            or not isinstance(self.random_state, int)
            or (self.random_state < 0)
        ):
            raise InputError(f"--seed must be a whole number >= 0, got {self.random_state}")
        if self.context_budget is not None and (
            isinstance(self.context_budget, bool)
            or not isinstance(self.context_budget, int)
            or self.context_budget < 1
        ):
            raise InputError(
                f"{option('context_budget')} must be a whole number >= 1 (tokens, or "
                f"characters), got {self.context_budget}"
            )
        if self.llm_queries is not None and (
            isinstance(self.llm_queries, bool)
            or not isinstance(self.llm_queries, int)
            or self.llm_queries < 1
        ):
            raise InputError(f"--llm-queries must be at least 1, got {self.llm_queries}")
        if isinstance(self.llm_agreement_pairs, bool) or self.llm_agreement_pairs < 0:
            raise InputError(
                f"--llm-agreement-pairs must be a whole number >= 0, got {self.llm_agreement_pairs}"
            )
        if self.context_by not in CONTEXT_BY:
            raise InputError(
                f"{option('context_by')} must be one of {', '.join(CONTEXT_BY)}, "
                f"got {self.context_by!r}"
            )
        if not 0 < self.rbo_p < 1:
            raise InputError(
                f"{option('rbo_p')} must be between 0 and 1 (exclusive), got {self.rbo_p}"
            )
        if self.cutoff is not None and not -1 <= self.cutoff <= 1:
            raise InputError(
                f"{option('cutoff')} must be a cosine similarity in [-1, 1], got {self.cutoff}"
            )


def option(setting: str) -> str:
    """The command-line option of a setting: ``rbo_p`` -> ``--rbo-p``."""
    return "--" + setting.replace("_", "-")
