"""remedies.json in words: the terminal's table of every setting and what to ship (the record
travels in the bundle's extras, written and read with it)."""

from __future__ import annotations

from typing import Any

from analysis.text_table import format_table


def remedies_text(record: dict[str, Any]) -> str:
    """Every setting's verdict and what it keeps, then the sentence: what to ship."""
    targets = ", ".join(record["targets"]) or "(no target domain)"
    rows = []
    for entry in [record["candidate"], *record["settings"]]:
        cost = entry.get("cost", {})
        rows.append(
            [
                entry["label"],
                "pass" if entry["passed"] else "FAIL",
                ", ".join(entry["failed_domains"]) or "-",
                _signed(entry["target_points"]),
                _percent(entry["worst_other"]),
                _megabytes(cost.get("extra_index_bytes")),
                _number(cost.get("ms_per_query")),
                "*" if entry["label"] in record["frontier"] else "",
            ]
        )
    headers = [
        "remedy",
        "gate",
        "failed in",
        f"nDCG@10 pts ({targets})",
        "worst other",
        "extra index MB",
        "ms/query",
        "frontier",
    ]
    return format_table(headers, rows) + f"\n\n{record['sentence']}"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.1f}%"


def _megabytes(value: int | None) -> str:
    return "-" if value is None else f"{value / 1e6:.1f}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
