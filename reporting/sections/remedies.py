"""Remedies: what to ship instead of a candidate that fails the gate? Each remedy setting's
verdict, what it keeps of the candidate's gain and what it costs to serve.

Reads ``remedies.json`` (``remedies`` or ``compare --remedies`` writes it beside the bundle).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.bundle.files import Bundle
from reporting import charts
from reporting.sections.base import Block, Chart, Context, Heading, Section, Table, Text
from reporting.sections.gate import policy_name

NONE = (
    "No remedy was evaluated for this comparison. Run it with `recall-horizon remedies` (or "
    "`compare --remedies all`) to evaluate weight interpolation, score fusion of both models, "
    "hybrid BM25 and a recall floor as candidates under the same policy."
)


def settings_frame(record: dict[str, Any]) -> pd.DataFrame:
    """One row per setting (the candidate as it is first), in the order evaluated."""
    rows = []
    for entry in [record["candidate"], *record["settings"]]:
        cost = entry.get("cost", {})
        rows.append(
            {
                "remedy": entry["remedy"],
                "setting": _short(entry),
                "label": entry["label"],
                "passed": entry["passed"],
                "failed in": ", ".join(entry["failed_domains"]) or "–",
                "target_points": _rounded(entry["target_points"], 1),
                "worst_other": _rounded(entry["worst_other"], 3),
                "on the frontier": entry["label"] in record["frontier"],
                "extra index (MB)": _rounded(_mb(cost.get("extra_index_bytes")), 2),
                "extra encoder calls per query": cost.get("extra_calls_per_query"),
                "ms per query": _rounded(cost.get("ms_per_query"), 2),
            }
        )
    frame = pd.DataFrame(rows)
    calls = "extra encoder calls per query"
    frame[calls] = pd.array(frame[calls], dtype="Int64")  # whole calls; none for the candidate
    return frame


def blocks(bundle: Bundle, context: Context) -> list[Block]:
    record = bundle.extras.get("remedies")
    if not record:
        return [Text(NONE)]
    frame = settings_frame(record)
    targets = ", ".join(record["targets"]) or "none"
    colors = charts.domain_colors(list(dict.fromkeys(frame["remedy"])))
    table = (
        frame.assign(
            passed=frame["passed"].map({True: "pass", False: "FAIL"}),
            **{"on the frontier": frame["on the frontier"].map({True: "yes", False: ""})},
        )
        .rename(
            columns={
                "passed": "gate",
                "target_points": f"nDCG@10 change in {targets} (points)",
                "worst_other": "worst other domain: nDCG@10 change",
            }
        )
        .drop(columns=["label"])
    )
    return [
        Heading(record["sentence"]),
        Text(
            f"Each setting is a candidate compared with the same baseline and judged by "
            f"{policy_name(record['policy'])}. Target domains (what the candidate was tuned "
            f"for): {targets}. The LLM and the projection are left out of remedy comparisons.",
            muted=True,
        ),
        Chart("remedy_frontier", charts.remedy_frontier(frame, colors)),
        Table("remedy_settings", "Every setting", table),
    ]


def _short(entry: dict[str, Any]) -> str:
    """A setting as a point's label reads: "α 0.5", "w 0.4", "BM25 0.3", "RRF", "floor 2"."""
    setting = entry["setting"]
    if "alpha" in setting:
        return f"α {setting['alpha']:g}"
    if "w" in setting:
        return f"w {setting['w']:g}"
    if setting.get("fusion") == "rrf":
        return "RRF"
    if "bm25_weight" in setting:
        return f"BM25 {setting['bm25_weight']:g}"
    if "slots" in setting:
        return f"floor {setting['slots']}"
    if "depth" in setting:
        return f"rerank {setting['depth']}"
    return "as is"


def _rounded(value: float | None, digits: int) -> float:
    return float("nan") if value is None else round(float(value), digits)


def _mb(value: int | None) -> float | None:
    return None if value is None else value / 1e6


SECTION = Section("remedies", "Remedies", ":material/healing:", blocks)
