"""The rollout verdict over a series of rounds: each round's gate, cumulative and marginal,
and the last round safe to roll out.

A round is *safe* when, for every seed, the policy holds both for the round against the
baseline (what rolling it out does) and for the round against the one before it (what it
added). The *last safe round* is the latest safe one; a rollback is advised when the last
round is not safe, to the last safe round (or to the baseline when none is).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from analysis.bundle.summary import Summary
from analysis.verdict.gate import Check, GateResult, Policy, evaluate


@dataclass(frozen=True)
class RoundVerdict:
    name: str
    cumulative: tuple[GateResult, ...]  # one per seed
    marginal: tuple[GateResult, ...]

    @property
    def safe(self) -> bool:
        return all(g.passed for g in (*self.cumulative, *self.marginal))

    def breach(self) -> tuple[str, Check] | None:
        """The first breached check ("cumulative" or "marginal", and the check)."""
        for kind, gates in (("cumulative", self.cumulative), ("marginal", self.marginal)):
            for gate in gates:
                for check in gate.checks:
                    if not check.passed:
                        return kind, check
                if not gate.evaluated:
                    return kind, Check("(all)", "(none)", None, 0.0, False, "nothing was checked")
        return None


@dataclass(frozen=True)
class RoundsVerdict:
    rounds: tuple[RoundVerdict, ...]

    @property
    def last_safe(self) -> str | None:
        return next((r.name for r in reversed(self.rounds) if r.safe), None)

    @property
    def first_breach(self) -> tuple[str, str, Check] | None:
        """(round, kind, check) of the first round that breached."""
        for item in self.rounds:
            found = item.breach()
            if found is not None:
                return item.name, *found
        return None

    @property
    def rollback_advised(self) -> bool:
        return not self.rounds[-1].safe

    def advice(self) -> str:
        if not self.rollback_advised:
            return f"the last round, {self.rounds[-1].name}, is safe to roll out"
        target = self.last_safe or "the baseline"
        return f"roll back to {target}: {self.rounds[-1].name} breaches the policy"


def rounds_verdict(
    rounds: Sequence[tuple[str, Sequence[Summary], Sequence[Summary]]], policy: Policy
) -> RoundsVerdict:
    """``rounds``: (name, cumulative summaries, marginal summaries), one summary per seed."""
    return RoundsVerdict(
        tuple(
            RoundVerdict(
                name,
                tuple(evaluate(s, policy) for s in cumulative),
                tuple(evaluate(s, policy) for s in marginal),
            )
            for name, cumulative, marginal in rounds
        )
    )
