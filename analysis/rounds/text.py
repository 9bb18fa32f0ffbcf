"""What ``rounds`` prints: one line per round, the tuned-for gain against the worst loss
elsewhere, every domain's change over rounds, and the verdict."""

from __future__ import annotations

from typing import Any

from analysis.rounds.record import gate_summary
from analysis.text_table import format_table

TABLE_MEASURES = ("ndcg@10", "coverage", "neighbours_kept")
PAIRED = ("ndcg@10", "recall@k", "coverage")  # a change between two models' values


def rounds_text(record: dict[str, Any]) -> str:
    lines = [_rounds_table(record)]
    for key in TABLE_MEASURES:
        table = _domain_table(record, key)
        if table:
            lines.append(table)
    first = record["first_breach"]
    if first is not None:
        where = f"{first['round']} ({first['kind']}), {first['domain']}"
        lines.append(f"first breach: {where}: {first['detail']}")
    lines.append(f"last safe round: {record['last_safe_round'] or 'none (the baseline)'}")
    lines.append(f"verdict: {record['advice']}")
    return "\n\n".join(lines)


def _rounds_table(record: dict[str, Any]) -> str:
    targets = ", ".join(record["targets"]) or "none named"
    headers = ["round", "seeds", "vs baseline", "vs previous round"]
    headers += [f"tuned ({targets}) Δ nDCG@10", "worst other Δ nDCG@10", "safe"]
    rows = []
    for index, item in enumerate(record["rounds"]):
        trade = item["tradeoff"]["cumulative"]
        worst = (
            f"{trade['worst_other']} {trade['worst_other_change']:+.3f}"
            if trade["worst_other"] is not None
            else "-"
        )
        rows.append(
            [
                item["name"],
                str(item["seeds"]),
                gate_summary(item["cumulative"]),
                gate_summary(item["marginal"]) if index else "(the same)",
                "-" if trade["target_gain"] is None else f"{trade['target_gain']:+.3f}",
                worst,
                "yes" if item["safe"] else "NO",
            ]
        )
    return format_table(headers, rows)


def _domain_table(record: dict[str, Any], key: str) -> str:
    """Rows: rounds; columns: domains; cells: cumulative change (± seed spread, * when
    significant); the marginal change in brackets from round 2 on."""
    names = [n for n in record["rounds"][0]["domains"] if n != "(all)"]
    if all(record["rounds"][0]["domains"][n][key]["cumulative"]["change"] is None for n in names):
        return ""
    label = record["measures"][key]
    what = "change" if key in PAIRED else "value"
    headers = [f"{label} ({what}) vs baseline [vs previous round]", *names]
    rows = []
    for index, item in enumerate(record["rounds"]):
        cells = []
        for name in names:
            figures = item["domains"][name][key]
            cell = _cell(figures["cumulative"], what)
            if index:
                cell += f" [{_cell(figures['marginal'], what)}]"
            cells.append(cell)
        rows.append([item["name"], *cells])
    return format_table(headers, rows)


def _cell(figures: dict[str, Any], what: str) -> str:
    number = figures[what]
    if number is None:
        return "-"
    text = f"{number:+.3f}" if what == "change" else f"{number:.3f}"
    if figures["spread"] is not None:
        text += f"±{figures['spread']:.3f}"
    if figures["significant"]:
        text += "*"
    return text
