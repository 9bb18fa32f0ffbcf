"""The guardrail table: each guardrail a policy can set, the number it reads from a domain's
section of summary.json, the kind of limit it takes and how its check reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from analysis.bundle.summary import DomainSection
from analysis.metrics.answers import AnswerFigures, CoverageFigures, JudgedCoverageFigures
from analysis.metrics.llm import LLMFigures
from analysis.metrics.near_miss import NearMissFigures
from analysis.metrics.overlap import OverlapFigures
from analysis.metrics.quality import relative_change
from analysis.metrics.reach import NetLoss, ReachFigures
from analysis.metrics.thresholds import ExclusionFigures

FRACTION, COUNT = "a number between 0 and 1", "a whole number >= 0"


@dataclass(frozen=True)
class Guardrail:
    """One limit a policy may set on a number of each domain's summary.

    ``value_of`` reads that number (None when the comparison does not have it: the
    guardrail is then not checked for that domain); ``at_least``: the number must reach the
    limit (else stay at or under it); ``describe(value, limit)`` says what was checked.
    """

    name: str  # the key in the policy file
    kind: str  # FRACTION or COUNT
    value_of: Callable[[DomainSection], Any]
    at_least: bool
    describe: Callable[[Any, Any], str]
    # the p-value of the change, for only_when_significant (None: not a tested change)
    p_value_of: Callable[[DomainSection], float | None] | None = None
    # the number held against the limit, when it is not the value itself (the lower end of
    # a net loss's interval: a breach must hold for every plausible sample of queries)
    decided_by: Callable[[Any], float] | None = None
    note: str | None = None  # said beside the check whenever the policy sets this guardrail
    missing: str = "the comparison has no such number for this domain"  # why, when it has not


def _overlap(section: DomainSection) -> float | None:
    figures = section.get(OverlapFigures)
    return figures.jaccard.mean if figures else None


def _excluded_share(section: DomainSection) -> float | None:
    figures = section.get(ExclusionFigures)
    return figures.excluded_share_same_cutoff if figures else None


def _coverage_drop(kind: type[CoverageFigures]) -> Callable[[DomainSection], float | None]:
    def drop(section: DomainSection) -> float | None:
        figures = section.get(kind)
        change = figures.relative_change() if figures else None
        return None if change is None else max(0.0, -change)

    return drop


def _coverage_p(kind: type[CoverageFigures]) -> Callable[[DomainSection], float | None]:
    def p_value(section: DomainSection) -> float | None:
        figures = section.get(kind)
        return figures.p_value_bh if figures else None

    return p_value


def _llm_f1_drop(section: DomainSection) -> float | None:
    figures = section.get(LLMFigures)
    if figures is None or not figures.with_reference:
        return None
    change = relative_change(figures.f1.get("baseline"), figures.f1.get("candidate"))
    return None if change is None else max(0.0, -change)


def _llm_f1_p(section: DomainSection) -> float | None:
    figures = section.get(LLMFigures)
    return figures.f1_p_value_bh if figures else None


def _llm_net_losses(section: DomainSection) -> float | None:
    """(losses − wins) / compared queries: the share of queries whose answer got worse,
    net of those that got better (0 when it won at least as often as it lost)."""
    figures = section.get(LLMFigures)
    compared = figures.wins + figures.ties + figures.losses if figures else 0
    if figures is None or not compared:
        return None
    return max(0.0, (figures.losses - figures.wins) / compared)


def _llm_preference_p(section: DomainSection) -> float | None:
    figures = section.get(LLMFigures)
    return figures.preference_p_value_bh if figures else None


def _near_miss_gain(section: DomainSection) -> float | None:
    figures = section.get(NearMissFigures)
    return figures.gain() if figures else None


def _lost_reach(section: DomainSection) -> int | None:
    figures = section.get(ReachFigures)
    return figures.lost if figures else None


def _net_lost_reach(section: DomainSection) -> NetLoss | None:
    figures = section.get(ReachFigures)
    return figures.net if figures else None


def _net_lost_relevant_reach(section: DomainSection) -> NetLoss | None:
    figures = section.get(ReachFigures)
    return figures.relevant if figures else None


def _interval_low(net: NetLoss) -> float:
    """The lower end of the net loss's interval (its share where none was computed; -1
    where the baseline reached nothing, so nothing could be lost)."""
    if net.share is None:
        return -1.0
    return net.low if net.low is not None else net.share


def _net_loss_text(what: str) -> Callable[[NetLoss, float], str]:
    def describe(net: NetLoss, limit: float) -> str:
        if net.share is None:
            return f"no {what} reached under the baseline: none could lose reach"
        interval = (
            f", 95% interval {100 * net.low:.1f}% to {100 * net.high:.1f}%"
            if net.low is not None and net.high is not None
            else ""
        )
        return (
            f"{what} lost reach, net: {100 * net.share:.1f}% of {net.reached:,} reached "
            f"({net.lost:,} lost, {net.gained:,} gained{interval}; max {100 * limit:.0f}% "
            "for the whole interval)"
        )

    return describe


# Relevance guardrails: the largest allowed relative drop of a metric (see _relevance_check).
RELEVANCE = {"max_relative_drop_recall": "recall@k", "max_relative_drop_ndcg": "ndcg@10"}
# Every other guardrail: one row each.
GUARDRAILS: tuple[Guardrail, ...] = (
    Guardrail(
        "min_overlap",
        FRACTION,
        _overlap,
        True,
        lambda v, lim: f"mean top-k Jaccard {v:.3f} (min {lim:.2f})",
    ),
    Guardrail(
        "max_excluded_share_same_cutoff",
        FRACTION,
        _excluded_share,
        False,
        lambda v, lim: f"{100 * v:.1f}% excluded at the same cutoff (max {100 * lim:.0f}%)",
    ),
    Guardrail(
        "max_relative_drop_answer_coverage",
        FRACTION,
        _coverage_drop(AnswerFigures),
        False,
        lambda v, lim: f"answer coverage fell {100 * v:.1f}% (max drop {100 * lim:.0f}%)",
        _coverage_p(AnswerFigures),
    ),
    Guardrail(
        "max_relative_drop_judged_coverage",
        FRACTION,
        _coverage_drop(JudgedCoverageFigures),
        False,
        lambda v, lim: f"judged-relevant coverage fell {100 * v:.1f}% (max drop {100 * lim:.0f}%)",
        _coverage_p(JudgedCoverageFigures),
    ),
    Guardrail(
        "max_relative_drop_llm_f1",
        FRACTION,
        _llm_f1_drop,
        False,
        lambda v, lim: f"the LLM's answer F1 fell {100 * v:.1f}% (max drop {100 * lim:.0f}%)",
        _llm_f1_p,
    ),
    Guardrail(
        "max_llm_net_loss_share",
        FRACTION,
        _llm_net_losses,
        False,
        lambda v, lim: (
            f"the LLM judged the candidate's answer worse, net, on {100 * v:.1f}% of queries "
            f"(max {100 * lim:.0f}%)"
        ),
        _llm_preference_p,
    ),
    Guardrail(
        "max_net_lost_reach_share",
        FRACTION,
        _net_lost_reach,
        False,
        _net_loss_text("documents"),
        decided_by=_interval_low,
        missing="this summary predates the net loss of reach; compute the comparison again",
    ),
    Guardrail(
        "max_net_lost_relevant_reach_share",
        FRACTION,
        _net_lost_relevant_reach,
        False,
        _net_loss_text("judged-relevant documents"),
        decided_by=_interval_low,
        missing=(
            "no judged-relevant document in this corpus (or a summary from before the net "
            "loss of reach), so the reach of judged-relevant documents cannot be checked"
        ),
    ),
    Guardrail(
        "min_near_miss_sensitivity_gain",
        FRACTION,
        _near_miss_gain,
        True,
        lambda v, lim: (
            f"near-miss sensitivity changed {100 * v:+.1f} points (min gain {100 * lim:.0f})"
        ),
        missing="the comparison measured no near misses: run it with --near-misses rules",
    ),
    Guardrail(
        "max_lost_reach_docs",
        COUNT,
        _lost_reach,
        False,
        lambda v, lim: f"{v} documents lost all reach (max {lim})",
        note=(
            "max_lost_reach_docs counts documents, whatever the domain's size, and counts "
            "churn (documents that gained reach are not set against it); "
            "max_net_lost_reach_share scales with the domain"
        ),
    ),
)
