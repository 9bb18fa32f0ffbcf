"""remedies.json beside a comparison's bundle: written whole (temporary file, then renamed),
read back without any model."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from analysis.bundle.out import REMEDIES_FILE
from analysis.text_table import format_table


def write_remedies(folder: Path, record: dict[str, Any]) -> Path:
    path = folder / REMEDIES_FILE
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".remedies.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=2, sort_keys=True, ensure_ascii=False)
        handle.write("\n")
    os.replace(temporary, path)
    return path


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
