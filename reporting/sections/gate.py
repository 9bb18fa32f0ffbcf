"""Rollout gate: does every domain hold its guardrails, and by which numbers?"""

from __future__ import annotations

from analysis.bundle.files import Bundle
from reporting.sections.base import Block, Context, Section, Table, Text


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    gate = context.gate
    if gate is None:
        return [Text("The gate was not evaluated for this view.")]
    frame = gate.to_frame()
    if frame.empty:
        return [Text("No guardrail applied (the policy checks nothing these results hold).")]
    failed = gate.failed_domains()
    verdict = "Every guardrail holds." if not failed else f"Breached in {', '.join(failed)}."
    frame["result"] = frame["passed"].map({True: "ok", False: "FAIL"})
    return [
        Text(f"Verdict: {verdict}"),
        Text(f"Policy: {context.policy_source}", muted=True),
        Table("gate_checks", "", frame[["domain", "guardrail", "result", "detail"]]),
    ]


SECTION = Section("gate", "Rollout gate", ":material/verified:", blocks, on_page=False)
