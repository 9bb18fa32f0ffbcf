"""Each remedy setting judged as a candidate: its gate, each domain's nDCG@10 change, the
frontier of in-domain gain against the worst other domain's loss, and the best setting that
passes the policy with how much of the candidate's gain it keeps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from analysis.bundle.summary import Summary
from analysis.metrics.quality import QualityFigures
from analysis.verdict.gate import Policy, evaluate

METRIC = "ndcg@10"


@dataclass(frozen=True)
class Setting:
    """One remedy at one point of its grid, judged: ``change`` and ``points`` map each
    domain to its relative and absolute (×100) nDCG@10 change against the baseline."""

    remedy: str
    setting: dict[str, float | int | str]
    label: str
    passed: bool
    failed_domains: list[str]
    change: dict[str, float | None]
    points: dict[str, float | None]
    target_points: float | None  # mean absolute change over the target domains, ×100
    worst_other: float | None  # the lowest relative change among the other domains
    cost: dict[str, float | int | None] = field(default_factory=dict)
    fingerprint: str | None = None  # the setting's comparison's
    folder: str | None = None  # where its comparison was written, relative to the output


def judged(
    remedy: str,
    setting: dict[str, float | int | str],
    label: str,
    summary: Summary,
    policy: Policy,
    targets: Sequence[str],
    cost: dict[str, float | int | None] | None = None,
) -> Setting:
    """A setting's verdict under ``policy`` and its nDCG@10 changes per domain."""
    gate = evaluate(summary, policy)
    change, points = {}, {}
    for name, section in summary.domains.items():
        quality = section.get(QualityFigures)
        delta = quality.delta.get(METRIC) if quality else None
        change[name] = quality.relative_change(METRIC) if quality else None
        points[name] = None if delta is None else 100 * delta
    gained = [points[t] for t in targets if points.get(t) is not None]
    others = [c for name, c in change.items() if name not in targets and c is not None]
    return Setting(
        remedy,
        setting,
        label,
        gate.passed,
        gate.failed_domains(),
        change,
        points,
        sum(gained) / len(gained) if gained else None,  # type: ignore[arg-type]
        min(others) if others else None,
        cost or {},
    )


def targets_of(candidate_summary: Summary, given: Sequence[str]) -> tuple[str, ...]:
    """The domains the candidate was tuned for: as given, else the one it gained most in."""
    if given:
        return tuple(given)
    gains = {}
    for name, section in candidate_summary.domains.items():
        quality = section.get(QualityFigures)
        delta = quality.delta.get(METRIC) if quality else None
        if delta is not None:
            gains[name] = delta
    return (max(gains, key=lambda n: gains[n]),) if gains else ()


def frontier(settings: Sequence[Setting]) -> list[str]:
    """The settings no other beats on both in-domain gain and worst other domain's change."""
    scored = [s for s in settings if s.target_points is not None and s.worst_other is not None]
    out = []
    for s in scored:
        beaten = any(
            o.target_points >= s.target_points  # type: ignore[operator]
            and o.worst_other >= s.worst_other  # type: ignore[operator]
            and (o.target_points, o.worst_other) != (s.target_points, s.worst_other)
            for o in scored
        )
        if not beaten:
            out.append(s.label)
    return out


def best(settings: Sequence[Setting]) -> Setting | None:
    """The passing setting that keeps the most in-domain gain (then the smallest loss
    elsewhere). A setting that keeps no gain is no remedy: at α = 0 or w = 0 it is the
    baseline, which is rolling back."""
    passing = [s for s in settings if s.passed and (s.target_points or 0) > 0]
    if not passing:
        return None
    return max(passing, key=lambda s: (s.target_points, s.worst_other or 0.0))


def sentence(chosen: Setting | None, candidate: Setting, targets: Sequence[str]) -> str:
    """What to ship, in one sentence."""
    if chosen is None:
        return (
            "No remedy passes the policy and keeps any of the candidate's gain in "
            f"{', '.join(targets) or 'its target domains'}: roll back (see each setting's "
            "failed domains)."
        )
    where = ", ".join(targets)
    kept = (
        f"{where} nDCG@10 {chosen.target_points:+.1f} points (the candidate: "
        f"{candidate.target_points:+.1f})"
        if chosen.target_points is not None and candidate.target_points is not None
        else "it passes"
    )
    worst = (
        f"; no other domain drops more than {100 * max(0.0, -chosen.worst_other):.1f}%"
        if chosen.worst_other is not None
        else ""
    )
    return f"Ship {chosen.label}: it passes the policy; {kept}{worst}."


def record(
    candidate: Setting, settings: Sequence[Setting], targets: Sequence[str], policy: Policy
) -> dict[str, Any]:
    """remedies.json: every setting, the frontier, the best and the sentence."""
    chosen = best(settings)
    return {
        "policy": policy.source,
        "targets": list(targets),
        "metric": METRIC,
        "candidate": asdict(candidate),
        "settings": [asdict(s) for s in settings],
        "frontier": frontier([candidate, *settings]),
        "best": chosen.label if chosen else None,
        "sentence": sentence(chosen, candidate, targets),
    }
