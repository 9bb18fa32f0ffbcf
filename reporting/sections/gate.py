"""Rollout gate: does every domain hold its guardrails, and by which numbers?"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.bundle.files import Bundle
from analysis.verdict.gate import DEFAULT_POLICY, GateResult
from reporting.sections.base import Block, Context, Heading, Section, Table, Text


def policy_name(source: str) -> str:
    """The shipped policy by name, not by its path on this server; any other by its file."""
    if source and Path(source) == DEFAULT_POLICY:
        return "the shipped default (analysis/verdict/default_policy.toml)"
    return source


def verdict_blocks(context: Context) -> list[Block]:
    """The verdict per domain, failed domains first: pass or fail, and the guardrail and
    number that decided it (the worst breach, or the closest call where it passed)."""
    gate = context.gate
    if gate is None:
        return [Text("The gate was not evaluated for this view.")]
    policy = Text(f"Policy: {policy_name(context.policy_source)}", muted=True)
    if not gate.checks:
        return [
            Heading("Rollout verdict: nothing checked"),
            Text("No guardrail of the policy applies to the numbers this comparison holds."),
            policy,
        ]
    notes = [Text(f"Note: {note}.", muted=True) for note in gate.notes]
    return [
        Heading(_headline(gate)),
        policy,
        Table("gate_verdict", "", _verdict_frame(gate)),
        *notes,
    ]


def _headline(gate: GateResult) -> str:
    failed = gate.failed_domains()
    if failed:
        return f"Rollout verdict: FAIL — guardrails breached in {', '.join(failed)}"
    return "Rollout verdict: PASS — every domain holds every guardrail"


def _verdict_frame(gate: GateResult) -> pd.DataFrame:
    rows = []
    for verdict in gate.by_domain():
        check = verdict.deciding
        rows.append(
            {
                "Domain": verdict.domain,
                "Verdict": "pass" if verdict.passed else "FAIL",
                "Deciding guardrail": check.guardrail if check else "–",
                "The number that decided it": check.detail if check else "–",
            }
        )
    return pd.DataFrame(rows)


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    """Every check of every domain (the verdict itself leads the Overview)."""
    gate = context.gate
    if gate is None:
        return [Text("The gate was not evaluated for this view.")]
    frame = gate.to_frame()
    if frame.empty:
        return [Text("No guardrail applied (the policy checks nothing these results hold).")]
    frame["result"] = frame["passed"].map({True: "ok", False: "FAIL"})
    return [
        Text(f"Policy: {policy_name(context.policy_source)}", muted=True),
        Table("gate_checks", "", frame[["domain", "guardrail", "result", "detail"]]),
    ]


SECTION = Section("gate", "Rollout gate", ":material/verified:", blocks, on_page=False)
