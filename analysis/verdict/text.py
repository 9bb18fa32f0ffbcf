"""The gate's verdict as the terminal prints it: every domain, every check, one line."""

from __future__ import annotations

from analysis.verdict.gate import GateResult


def gate_text(result: GateResult, source: str) -> str:
    """Each domain's PASS/FAIL with its checks, then the verdict line."""
    lines = ["", f"policy: {source}"]
    by_domain: dict[str, list] = {}
    for check in result.checks:
        by_domain.setdefault(check.domain, []).append(check)
    for domain, checks in by_domain.items():
        verdict = "PASS" if all(c.passed for c in checks) else "FAIL"
        lines += ["", f"{verdict}  {domain}"]
        for check in checks:
            mark = ("ok  " if check.evaluated else "skip") if check.passed else "FAIL"
            lines.append(f"  {mark}  {check.detail}")
    lines += [f"\nnote: {note}" for note in result.notes]
    lines += ["", f"verdict: {verdict_line(result)}"]
    return "\n".join(lines)


def verdict_line(result: GateResult) -> str:
    failed = result.failed_domains()
    if failed:
        return f"breached in {', '.join(failed)}"
    if not result.evaluated:
        return "nothing was checked (no guardrail of the policy applies to this comparison)"
    return "every guardrail holds"
