"""The data bundle a report is made from: summary.json plus the Parquet tables of a run."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import InputError


@dataclass(frozen=True)
class Bundle:
    folder: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    sha256: str

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


def bundle_files(folder: Path) -> list[Path]:
    """summary.json and every Parquet table of a comparison, in name order."""
    return [folder / "summary.json", *sorted(folder.glob("*.parquet"))]


def bundle_sha256(folder: Path) -> str:
    """sha256 over the bundle's file names and contents, in a fixed order."""
    digest = hashlib.sha256()
    for path in bundle_files(folder):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def load_bundle(folder: Path) -> Bundle:
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        tables = {p.stem: pd.read_parquet(p) for p in bundle_files(folder)[1:]}
    except (OSError, ValueError) as err:
        raise InputError(f"{folder}: cannot read the data bundle ({err})") from None
    return Bundle(folder, summary, tables, bundle_sha256(folder))
