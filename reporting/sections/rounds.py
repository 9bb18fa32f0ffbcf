"""Fine-tuning rounds: which round is the last safe one, and what each round traded?

Reads ``rounds.json`` only (the record ``python -m analysis rounds`` writes); the Rounds page
and the series report show these blocks.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.rounds.record import gate_summary, record_frame
from reporting import charts
from reporting.sections.base import Block, Chart, Heading, Table, Text
from reporting.sections.gate import policy_name

IDENTITY = {"neighbours_kept": 1.0, "relevant_excluded": 0.0, "effective_rank_ratio": 1.0}


def blocks(record: dict[str, Any]) -> list[Block]:
    frame = record_frame(record)
    domains = [d for d in record["rounds"][0]["domains"] if d != "(all)"]
    targets = record["targets"]
    out: list[Block] = [Heading(_headline(record)), *_breach(record)]
    out.append(
        Text(
            f"Baseline `{record['baseline']}`; tuned for: {', '.join(targets) or 'not named'}; "
            f"every comparison cut at {_cutoff(record)}; policy: {policy_name(record['policy'])}. "
            "A round "
            "is safe when the policy holds against the baseline (cumulative) and against the "
            "round before (marginal), for every seed.",
            muted=True,
        )
    )
    out.append(Table("rounds_verdicts", "The rounds", verdict_table(record)))
    cumulative = frame[(frame["kind"] == "cumulative") & (frame["domain"] != "(all)")]
    out.append(
        Chart(
            "rounds_trajectories",
            charts.round_trajectories(cumulative, domains, targets, _baseline_values(cumulative)),
        )
    )
    for measure in ("ndcg@10", "recall@k", "coverage"):
        table = change_table(frame, measure)
        if table is not None:
            label = record["measures"][measure]
            out.append(
                Table(f"rounds_{measure}", f"Δ {label}: vs baseline [vs previous round]", table)
            )
    out.append(
        Text(
            "Δ: mean change over seeds, ± the seed-to-seed standard deviation; * significant: "
            "every seed's paired test (Benjamini–Hochberg) below 0.05 and the mean change "
            "beyond two seed deviations.",
            muted=True,
        )
    )
    return out


def verdict_table(record: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for index, item in enumerate(record["rounds"]):
        trade = item["tradeoff"]["cumulative"]
        rows.append(
            {
                "Round": item["name"],
                "Seeds": item["seeds"],
                "Against the baseline": gate_summary(item["cumulative"]),
                "Against the round before": gate_summary(item["marginal"])
                if index
                else "(the same)",
                "Tuned domains' Δ nDCG@10": trade["target_gain"],
                "Worst other domain": trade["worst_other"] or "–",
                "Its Δ nDCG@10": trade["worst_other_change"],
                "Safe": "yes" if item["safe"] else "NO",
            }
        )
    return pd.DataFrame(rows)


def change_table(frame: pd.DataFrame, measure: str) -> pd.DataFrame | None:
    """Rounds x domains: the cumulative change [the marginal one]."""
    mine = frame[frame["measure"] == measure]
    if mine.empty or mine["change"].isna().all():
        return None
    cells: dict[str, dict[str, str]] = {}
    for row in mine.itertuples():
        cell = cells.setdefault(str(row.round), {})
        text = _change(row.change, row.spread, row.significant)
        if row.kind == "cumulative":
            cell[str(row.domain)] = text + cell.get(str(row.domain), "")
        elif row.position > 1:
            cell[str(row.domain)] = cell.get(str(row.domain), "") + f" [{text}]"
    table = pd.DataFrame.from_dict(cells, orient="index")
    table.index.name = "Round"
    return table.reset_index()


def _baseline_values(frame: pd.DataFrame) -> dict[tuple[str, str], float | None]:
    """Round 0 of each line: value − change of round 1 for paired measures, else identity."""
    first = frame[frame["position"] == 1]
    out: dict[tuple[str, str], float | None] = {}
    for row in first.itertuples():
        if row.measure in IDENTITY:
            out[(str(row.domain), str(row.measure))] = IDENTITY[str(row.measure)]
        elif row.value is not None and row.change is not None and not pd.isna(row.value):
            out[(str(row.domain), str(row.measure))] = float(row.value) - float(row.change)
    return out


def _headline(record: dict[str, Any]) -> str:
    last = record["last_safe_round"] or "none (the baseline)"
    action = "ROLL BACK" if record["rollback_advised"] else "SAFE"
    return (
        f"{action} — last safe round: {last}. {record['advice'][0].upper()}{record['advice'][1:]}."
    )


def _breach(record: dict[str, Any]) -> list[Block]:
    first = record["first_breach"]
    if first is None:
        return [Text("No round breached the policy.")]
    against = "the baseline" if first["kind"] == "cumulative" else "the round before"
    return [
        Text(
            f"First breach: {first['round']} (against {against}), {first['domain']}, "
            f"{first['guardrail']}: {first['detail']}."
        )
    ]


def _cutoff(record: dict[str, Any]) -> str:
    cutoff = record.get("cutoff")
    return "the pipeline's cutoff" if cutoff is None else f"the baseline's cutoff {cutoff:.3f}"


def _change(change: float | None, spread: float | None, significant: bool | None) -> str:
    if change is None or pd.isna(change):
        return "–"
    text = f"{change:+.3f}"
    if spread is not None and not pd.isna(spread):
        text += f" ± {spread:.3f}"
    return text + ("*" if significant else "")
