"""``rounds.json``: every number per round, the verdicts and the last safe round.

The one file a reviewer, the dashboard's Rounds page and the report read; each round's
comparisons are full data bundles beside it (``folder`` entries, relative to the file).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.bundle.out import ROUNDS_FILE
from analysis.bundle.summary import summary_text
from analysis.errors import InputError
from analysis.rounds.measures import MEASURES, domain_measures, over_seeds
from analysis.rounds.run import Compared, RoundResult
from analysis.verdict.gate import GateResult
from analysis.verdict.rounds import RoundsVerdict

GAIN_MEASURE = "ndcg@10"  # the trade-off: the tuned domains' gain against the others' loss


def build_record(
    results: Sequence[RoundResult],
    verdict: RoundsVerdict,
    *,
    baseline: str,
    targets: Sequence[str],
    cutoff: float | None,
    policy_source: str,
    alpha: float = 0.05,
) -> dict[str, Any]:
    rounds = []
    for result, judged in zip(results, verdict.rounds, strict=True):
        domains = _domains(result, alpha)
        breach = judged.breach()
        rounds.append(
            {
                "name": result.round.name,
                "specs": list(result.round.specs),
                "seeds": result.round.seeds,
                "cumulative": _comparisons(result.cumulative, judged.cumulative),
                "marginal": _comparisons(result.marginal, judged.marginal),
                "safe": judged.safe,
                "breach": None if breach is None else _check(*breach),
                "tradeoff": {
                    kind: _tradeoff(domains, targets, kind) for kind in ("cumulative", "marginal")
                },
                "domains": domains,
            }
        )
    first = verdict.first_breach
    return {
        "baseline": baseline,
        "targets": list(targets),
        "cutoff": cutoff,
        "policy": policy_source,
        "measures": {key: label for key, (label, _) in MEASURES.items()},
        "rounds": rounds,
        "last_safe_round": verdict.last_safe,
        "first_breach": None
        if first is None
        else {"round": first[0], **_check(first[1], first[2])},
        "rollback_advised": verdict.rollback_advised,
        "advice": verdict.advice(),
    }


def write_record(record: dict[str, Any], out: Path) -> None:
    (out / ROUNDS_FILE).write_text(summary_text(record), encoding="utf-8")


def read_record(folder: Path) -> dict[str, Any]:
    """A folder's rounds.json, its shape checked (a clear InputError names what is wrong)."""
    path = folder / ROUNDS_FILE
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{folder}: no {ROUNDS_FILE} (not a rounds --out folder)") from None
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: cannot read ({err})") from None
    problem = _shape_problem(record)
    if problem:
        raise InputError(f"{path}: not a Recall Horizon rounds file ({problem})")
    return record


def _shape_problem(record: Any) -> str | None:
    if not isinstance(record, dict):
        return "not a JSON object"
    missing = [k for k in ("rounds", "measures", "targets", "advice") if k not in record]
    if missing:
        return f"missing {', '.join(missing)}"
    if not isinstance(record["rounds"], list) or not record["rounds"]:
        return "'rounds' is not a list of rounds"
    for index, item in enumerate(record["rounds"]):
        where = f"rounds[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return f"{where} has no name"
        for kind in ("cumulative", "marginal"):
            compared = item.get(kind)
            if (
                not isinstance(compared, list)
                or not compared
                or not all(
                    isinstance(c, dict) and {"seed", "folder", "fingerprint", "passed"} <= set(c)
                    for c in compared
                )
            ):
                return f"{where}.{kind} is not a list of comparisons"
        if not isinstance(item.get("domains"), dict) or not item["domains"]:
            return f"{where} has no domains"
    return None


def gate_summary(comparisons: Sequence[dict[str, Any]]) -> str:
    """One round's gate against one reference, over its seeds: "pass", or the domains that
    failed ("nothing checked" when a gate evaluated nothing)."""
    if all(c["passed"] for c in comparisons):
        return "pass"
    failed = sorted({d for c in comparisons for d in c.get("failed_domains", [])})
    return f"FAIL: {', '.join(failed)}" if failed else "FAIL: nothing checked"


def _domains(result: RoundResult, alpha: float) -> dict[str, Any]:
    kinds = {"cumulative": result.cumulative, "marginal": result.marginal}
    per_kind = {
        kind: [domain_measures(c.summary) for c in compared] for kind, compared in kinds.items()
    }
    names = list(per_kind["cumulative"][0])
    return {
        name: {
            key: {
                kind: over_seeds([seed[name][key] for seed in seeds], alpha=alpha).to_json()
                for kind, seeds in per_kind.items()
            }
            for key in MEASURES
        }
        for name in names
    }


def _tradeoff(domains: dict[str, Any], targets: Sequence[str], kind: str) -> dict[str, Any]:
    """The mean change of the tuned domains and the worst change elsewhere."""
    changes = {
        name: figures[GAIN_MEASURE][kind]["change"]
        for name, figures in domains.items()
        if name != "(all)" and figures[GAIN_MEASURE][kind]["change"] is not None
    }
    tuned = [changes[t] for t in targets if t in changes]
    others = {name: c for name, c in changes.items() if name not in targets}
    worst = min(others, key=lambda n: others[n]) if others else None
    return {
        "measure": GAIN_MEASURE,
        "target_gain": sum(tuned) / len(tuned) if tuned else None,
        "worst_other": worst,
        "worst_other_change": others[worst] if worst is not None else None,
    }


def _comparisons(compared: Sequence[Compared], gates: Sequence[GateResult]) -> list[dict[str, Any]]:
    return [
        {
            "seed": c.seed,
            "folder": c.folder,
            "fingerprint": c.summary.fingerprint,
            "passed": gate.passed,
            "failed_domains": gate.failed_domains(),
        }
        for c, gate in zip(compared, gates, strict=True)
    ]


def _check(kind: str, check: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "domain": check.domain,
        "guardrail": check.guardrail,
        "detail": check.detail,
    }


def record_frame(record: dict[str, Any]) -> Any:
    """One row per (round, kind, domain, measure): value, change, spread, significance.

    ``position`` numbers the rounds from 1 (the baseline is 0 and has no rows).
    """
    import pandas as pd

    rows = []
    for position, item in enumerate(record["rounds"], start=1):
        for domain, measures in item["domains"].items():
            for key, kinds in measures.items():
                for kind, figures in kinds.items():
                    rows.append(
                        {
                            "round": item["name"],
                            "position": position,
                            "kind": kind,
                            "domain": domain,
                            "measure": key,
                            "label": record["measures"].get(key, key),
                            "value": figures["value"],
                            "change": figures["change"],
                            "spread": figures["spread"],
                            "significant": figures["significant"],
                        }
                    )
    return pd.DataFrame(rows)
